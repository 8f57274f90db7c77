// The partner cabinet and the operator area in headless Chromium, against a real simo-backend
// started by scripts/test-browser.sh. Scenarios run in order and share one server.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createHmac } from "node:crypto";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

const BASE = process.env.E2E_BASE;
const SHOTS = process.env.E2E_SCREENSHOTS;
const partnerA = JSON.parse(readFileSync(process.env.E2E_PARTNER_A, "utf8"));
const partnerB = JSON.parse(readFileSync(process.env.E2E_PARTNER_B, "utf8"));
const PASSWORD_A = "vesna-password";
const PASSWORD_B = "leto-password";
const XSS_TITLE = "<script>alert(1)</script>";

let browser;
let tokenA = partnerA.token;
const staff = {}; // name -> staff id
let messageOfB;

/** Calls API v1 as the partner's integration would. */
async function api(method, token, body) {
  const res = await fetch(`${BASE}/api/v1/${method}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: token } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** The last SMS code the log provider wrote for this phone. */
function smsCode(phone) {
  const log = readFileSync(process.env.E2E_SERVER_LOG, "utf8");
  const lines = log.split("\n").filter((l) => l.includes(phone) && l.includes("SMS"));
  const m = lines.at(-1)?.match(/код подтверждения (\d+)/);
  assert.ok(m, `no SMS code for ${phone} in the server log`);
  return m[1];
}

/** An employee logs in from the mobile app (auth, then the SMS code). */
async function employee(inn, phone, name) {
  const auth = await api("auth", null, { inn, staffname: name, phone, device: "android" });
  assert.equal(auth.status, 200, JSON.stringify(auth.body));
  const confirmed = await api("confirmsmscode", null, { inn, phone, smscode: smsCode(phone) });
  assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
  return confirmed.body.data.staffid;
}

async function newPage(viewport = { width: 1280, height: 860 }, bypassCSP = false) {
  const context = await browser.newContext({ viewport, locale: "ru-RU", bypassCSP });
  const page = await context.newPage();
  page.dialogs = [];
  page.acceptDialogs = false;
  page.on("dialog", async (d) => {
    page.dialogs.push(d.message());
    await (page.acceptDialogs ? d.accept() : d.dismiss());
  });
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

async function login(page, inn, password) {
  await page.goto(`${BASE}/cabinet/login`);
  await page.fill("input[name=login]", inn);
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForURL(`${BASE}/cabinet`), page.click("button[type=submit]")]);
}

/** Titles of the message table, top to bottom. */
async function titles(page) {
  return page.$$eval("#messages tbody td.title-cell", (cells) => cells.map((c) => c.textContent.trim()));
}

before(async () => {
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  staff.ivanov = await employee(partnerA.inn, "+79001110001", "Иванов Иван");
  staff.petrova = await employee(partnerA.inn, "+79001110002", "Петрова Анна");
  staff.sidorov = await employee(partnerA.inn, "+79001110003", "Сидоров Пётр");
  const b = await employee(partnerB.inn, "+79001110009", "Сотрудник Лета");
  const sends = [
    [staff.ivanov, "Реализация 3654", "Изменено количество товара в реализации"],
    [staff.petrova, "Поступление 4587", "Поступила оплата от покупателя"],
    [staff.ivanov, "Заявка 5", "Новая заявка на отгрузку"],
    [staff.sidorov, XSS_TITLE, "Заголовок должен показаться текстом"],
    [staff.petrova, "Планерка", "В 10:00 в переговорной"],
  ];
  for (const [id, title, message] of sends) {
    const r = await api("createmessage", tokenA, { inn: partnerA.inn, staffid: id, title, message });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  const r = await api("createmessage", partnerB.token, { inn: partnerB.inn, staffid: b, title: "Секрет Лета", message: "только для Лета" });
  messageOfB = r.body.data.messageid;
});

after(async () => {
  await browser?.close();
});

test("log in with INN and password: the INN shows top right", async () => {
  const page = await newPage();
  await page.goto(`${BASE}/`);
  assert.equal(new URL(page.url()).pathname, "/cabinet/login");
  await shot(page, "01-login");
  await page.fill("input[name=login]", partnerA.inn);
  await page.fill("input[name=password]", "wrong-password");
  await page.click("button[type=submit]");
  assert.match(await page.textContent(".error"), /Неверный логин или пароль/);
  await page.fill("input[name=password]", PASSWORD_A);
  await Promise.all([page.waitForURL(`${BASE}/cabinet`), page.click("button[type=submit]")]);
  assert.equal((await page.textContent("header .inn")).trim(), partnerA.inn);
  assert.equal(await page.textContent(".tile .num"), "5");
  await shot(page, "02-dashboard");
  await page.goto(`${BASE}/cabinet/employees`);
  assert.equal(await page.locator("#employees tbody tr").count(), 3);
  await shot(page, "03-employees");
  // The search runs on the server: lower case and е for ё find «Петрова» and «Пётр».
  await page.fill("#employee-filters input[name=q]", "петр");
  await Promise.all([page.waitForURL(/q=/), page.click("#employee-filters button[type=submit]")]);
  assert.equal(await page.locator("#employees tbody tr").count(), 2);
  assert.match(await page.textContent("#employees-found"), /Найдено: 2/);
  await page.click("#employee-states a[data-state=disabled]");
  await page.waitForURL(/state=disabled/);
  assert.match(await page.textContent("main"), /Никого не нашлось/);
  await page.context().close();
});

test("filter the messages by employee, search them and sort by each column", async () => {
  const page = await newPage();
  await login(page, partnerA.inn, PASSWORD_A);
  await page.goto(`${BASE}/cabinet/messages`);
  assert.equal((await titles(page)).length, 5);
  assert.equal((await titles(page))[0], "Планерка", "newest first");
  await shot(page, "04-messages");

  // Choosing an employee applies the filter at once (progressive JavaScript).
  await Promise.all([page.waitForURL(/staff=/), page.selectOption("select[name=staff]", String(staff.ivanov))]);
  assert.deepEqual((await titles(page)).sort(), ["Заявка 5", "Реализация 3654"]);

  await page.goto(`${BASE}/cabinet/messages`);
  await page.fill("input[name=q]", "оплат");
  await Promise.all([page.waitForURL(/q=/), page.click("#filters button[type=submit]")]);
  assert.deepEqual(await titles(page), ["Поступление 4587"]);
  // The CSV download carries the same search: the one message, with its text.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
  assert.match(download.suggestedFilename(), new RegExp(`^simo-messages-${partnerA.inn}-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
  const file = readFileSync(await download.path(), "utf8");
  assert.ok(file.startsWith("\uFEFFНомер сообщения;"), file.slice(0, 80));
  const csv = file.slice(1).trimEnd().split("\r\n");
  assert.equal(csv.length, 2, csv.join("\n"));
  assert.match(csv[1], /;Петрова Анна;'\+79001110002;Поступление 4587;Поступила оплата от покупателя;/);

  await page.goto(`${BASE}/cabinet/messages`);
  await Promise.all([page.waitForURL(/sort=title/), page.click("th a.sort >> text=Заголовок")]);
  const asc = await titles(page);
  assert.deepEqual(asc, [...asc].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), "ascending by title");
  await Promise.all([page.waitForURL(/dir=desc/), page.click("th a.sort >> text=Заголовок")]);
  assert.deepEqual(await titles(page), [...asc].reverse());
  await Promise.all([page.waitForURL(/sort=employee/), page.click("th a.sort >> text=Сотрудник")]);
  const names = await page.$$eval("#messages tbody tr td:first-child", (c) => c.map((x) => x.textContent.trim()));
  assert.deepEqual(names, [...names].sort((a, b) => a.localeCompare(b, "ru")));
  await Promise.all([page.waitForURL(/sort=status/), page.click("th a.sort >> text=Статус")]);
  assert.equal((await titles(page)).length, 5);
  await page.context().close();
});

test("a title with a script shows as text and runs nothing", async () => {
  const page = await newPage();
  await login(page, partnerA.inn, PASSWORD_A);
  await page.goto(`${BASE}/cabinet/messages`);
  assert.ok((await titles(page)).includes(XSS_TITLE));
  await page.click(`td.title-cell a >> text=${XSS_TITLE}`);
  assert.equal((await page.textContent("#message-title")).trim(), XSS_TITLE);
  assert.deepEqual(page.dialogs, []);
  await shot(page, "05-message-escaped");
  await page.context().close();
});

test("send a message to a chosen employee and see it in the list", async () => {
  const page = await newPage();
  await login(page, partnerA.inn, PASSWORD_A);
  await page.goto(`${BASE}/cabinet/send`);
  await page.fill("#staff-search", "петр");
  assert.equal(await page.locator("#staff-list label:visible").count(), 2, "Петрова and Пётр (ё typed as е)");
  await page.fill("#staff-search", "сидор");
  await page.check(`#staff-list input[value="${staff.sidorov}"]`);
  await page.fill("input[name=title]", "Инвентаризация");
  await page.fill("textarea[name=text]", "Завтра в 9:00 склад закрыт на инвентаризацию.");
  await shot(page, "06-send");
  await Promise.all([page.waitForLoadState("load"), page.click("#send-submit")]);
  assert.match(await page.textContent("#send-result"), /Сидоров Пётр/);
  assert.match(await page.textContent("#send-created"), /Создано сообщений: 1/);
  await page.click("#send-result li a");
  assert.equal((await page.textContent("#message-title")).trim(), "Инвентаризация");
  assert.match(await page.textContent("#message-body"), /закрыт на инвентаризацию/);
  // Sent from the company's own login: the page names it and links to its journal.
  assert.equal((await page.textContent("#message-sender a:first-child")).trim(), "Администратор (вход по ИНН)");
  assert.equal(await page.getAttribute("#message-sender-list", "href"), "/cabinet/messages?by=admin");
  await Promise.all([page.waitForURL(/\/cabinet\/journal\?who=admin$/), page.click("#message-sender a:first-child")]);
  assert.equal(await page.inputValue("#who"), "admin");
  await page.goBack();
  await shot(page, "07-message");
  // The employee's name leads to their card: the message is the latest, counted by status.
  await Promise.all([page.waitForURL(new RegExp(`/cabinet/employees/${staff.sidorov}$`)), page.click("#message-employee")]);
  assert.equal((await page.textContent("#employee-name")).trim(), "Сидоров Пётр");
  assert.equal((await page.textContent("#employee-recent tbody tr:first-child td.title-cell")).trim(), "Инвентаризация");
  assert.ok(Number(await page.textContent("#employee-total")) >= 1);
  await shot(page, "07b-employee-card");
  // Changed on the card, the admin stays on it: off the mailing and back on.
  const card = new RegExp(`/cabinet/employees/${staff.sidorov}\\?done=`);
  await Promise.all([page.waitForURL(card), page.click("#employee-manage button[name=disable]")]);
  assert.match(await page.textContent("[role=status]"), /отключён от рассылки/);
  assert.equal(await page.locator("#employee-write").count(), 0, "no writing to a disabled employee");
  await Promise.all([page.waitForURL(card), page.click("#employee-manage button[name=enable]")]);
  assert.match(await page.textContent("[role=status]"), /включён в рассылку/);
  assert.equal(await page.locator("#employee-write").count(), 1);
  // Both changes are in the card's history, newest first, and in the journal by him.
  assert.match(await page.textContent("#employee-history tbody tr:first-child"), /включён в рассылку/);
  assert.match(await page.textContent("#employee-history tbody tr:nth-child(2)"), /отключён от рассылки/);
  await Promise.all([page.waitForURL(new RegExp(`/cabinet/journal\\?staff=${staff.sidorov}$`)), page.click("#employee-journal")]);
  assert.match(await page.textContent("#journal-staff"), /Сидоров Пётр/);
  assert.equal(await page.locator("#journal tbody tr").count(), 2);
  await page.goto(`${BASE}/cabinet/messages`);
  assert.equal((await titles(page))[0], "Инвентаризация");
  const all = (await titles(page)).length;
  // By sender: what the company's own login sent, not the API's.
  await page.selectOption("#by-filter", "admin");
  await Promise.all([page.waitForURL(/by=admin/), page.click("#filters button[type=submit]")]);
  const theirs = await titles(page);
  assert.equal(theirs[0], "Инвентаризация");
  assert.ok(theirs.length < all, `${theirs.length} of ${all}`);
  await page.context().close();
});

test("send an order with its PDF from the form, download it from the message's page, and the API gives it", async () => {
  // The pages' CSP allows no injected script; axe-core is the test's, not the page's.
  const page = await newPage(undefined, true);
  await login(page, partnerA.inn, PASSWORD_A);
  await page.goto(`${BASE}/cabinet/send`);
  const pdf = Buffer.from("%PDF-1.4\n% Приказ № 7 о графике смен\n");
  // A program is refused by name, and nothing is sent.
  await page.fill("#staff-search", "сидор");
  await page.check(`#staff-list input[value="${staff.sidorov}"]`);
  await page.fill("input[name=title]", "Приказ о графике");
  await page.fill("textarea[name=text]", "Ознакомьтесь с приказом во вложении.");
  await page.setInputFiles("#send-files", [{ name: "setup.exe", mimeType: "application/octet-stream", buffer: Buffer.from("MZ") }]);
  await Promise.all([page.waitForLoadState("load"), page.click("#send-submit")]);
  assert.match(await page.textContent("[role=alert]"), /не отправляются: «setup\.exe»/);
  assert.equal(await page.locator("#send-created").count(), 0, "nothing sent");
  // The form kept the words; the file is chosen again.
  assert.equal(await page.inputValue("input[name=title]"), "Приказ о графике");
  await page.setInputFiles("#send-files", [{ name: "Приказ № 7.pdf", mimeType: "application/pdf", buffer: pdf }]);
  await Promise.all([page.waitForLoadState("load"), page.click("#send-submit")]);
  assert.match(await page.textContent("#send-created"), /Создано сообщений: 1/);
  await page.click("#send-result li a");
  assert.equal((await page.textContent("#message-title")).trim(), "Приказ о графике");
  assert.equal(await page.locator("#message-files li").count(), 1);
  assert.match(await page.textContent("#message-files"), /Приказ № 7\.pdf/);
  await shot(page, "07c-message-file");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#message-files a")]);
  assert.equal(download.suggestedFilename(), "Приказ № 7.pdf");
  assert.deepEqual(readFileSync(await download.path()), pdf);
  assert.deepEqual(await accessibilityProblems(page), []);
  // The company's system sees the file on the message and reads it with its token.
  const { body } = await api("getmessage", tokenA, { inn: partnerA.inn, staffid: staff.sidorov, count: 1 });
  const [file] = body.data[0].files;
  assert.equal(file.name, "Приказ № 7.pdf");
  assert.equal(file.contenttype, "application/pdf");
  const res = await fetch(`${BASE}/api/v1/getfile`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: tokenA },
    body: JSON.stringify({ inn: partnerA.inn, fileid: file.fileid }),
  });
  assert.equal(res.status, 200);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), pdf);
  // The list marks the message with a paperclip, which a screen reader reads as words.
  await page.goto(`${BASE}/cabinet/messages`);
  const mark = page.locator(`tr[data-message-id="${body.data[0].messageId}"] .files-count`);
  assert.equal(await mark.getAttribute("aria-label"), "Файлы: 1");
  assert.equal((await mark.textContent()).trim(), "📎1");
  assert.deepEqual(await accessibilityProblems(page), []);
  // The company's files, reached from the send form's room for them: this one in one message.
  await page.goto(`${BASE}/cabinet/send`);
  assert.match(await page.textContent("#files-room"), /Файлы организации занимают .* из 1024 МБ/);
  await Promise.all([page.waitForURL(`${BASE}/cabinet/files`), page.click("#files-room")]);
  const fileRow = page.locator(`#company-files tr[data-file-id="${file.fileid}"]`);
  assert.match(await fileRow.textContent(), /Приказ № 7\.pdf[\s\S]*сообщений: 1/);
  assert.deepEqual(await accessibilityProblems(page), []);
  await shot(page, "07d-company-files");
  // Another company's admin finds no such file there.
  const other = await newPage();
  await login(other, partnerB.inn, PASSWORD_B);
  const foreign = await other.goto(`${BASE}/cabinet/messages/${body.data[0].messageId}/files/${file.fileid}`);
  assert.equal(foreign.status(), 404);
  await other.context().close();
  await page.context().close();
});

test("rotate the API token and use the new one on the API", async () => {
  const page = await newPage();
  await login(page, partnerA.inn, PASSWORD_A);
  await page.goto(`${BASE}/cabinet/settings`);
  assert.equal((await page.textContent("#token-prefix")).trim(), `${tokenA.slice(0, 14)}…`);
  await page.selectOption("select[name=grace_secs]", "0");
  await Promise.all([page.waitForURL(/\/cabinet\/settings\?done=token_rotated#token$/), page.click("#rotate-token")]);
  const fresh = (await page.textContent("#new-token")).trim();
  assert.match(fresh, /^simo_p_/);
  assert.notEqual(fresh, tokenA);
  await shot(page, "08-settings-token");
  const withNew = await api("getstaff", fresh, { inn: partnerA.inn });
  assert.equal(withNew.status, 200);
  assert.equal(withNew.body.data.length, 3);
  const withOld = await api("getstaff", tokenA, { inn: partnerA.inn });
  assert.equal(withOld.status, 401, "no grace period was chosen");
  tokenA = fresh;
  await page.reload();
  assert.equal(await page.locator("#new-token").count(), 0, "shown once; a reload does not rotate again");
  assert.equal((await api("getstaff", fresh, { inn: partnerA.inn })).status, 200);
  assert.equal((await page.textContent("#token-prefix")).trim(), `${fresh.slice(0, 14)}…`);
  // The message retention: for good until chosen, then kept as chosen.
  assert.equal(await page.inputValue("#keep-days"), "0");
  await page.selectOption("#keep-days", "1825");
  await Promise.all([page.waitForURL(/done=retention_saved/), page.click("#keep-save")]);
  assert.match(await page.textContent(".notice"), /Срок хранения сообщений сохранён/);
  assert.equal(await page.inputValue("#keep-days"), "1825");
  // Rotated with an hour's grace, the old token is ended at once from its own form.
  await page.selectOption("#token select[name=grace_secs] >> nth=0", "3600");
  await Promise.all([page.waitForURL(/done=token_rotated#token$/), page.click("#rotate-token")]);
  const second = (await page.textContent("#new-token")).trim();
  assert.equal((await api("getstaff", fresh, { inn: partnerA.inn })).status, 200, "in its grace period");
  const oldForm = page.locator("form.end-old");
  assert.match(await oldForm.textContent(), /Прежний токен основного ключа/);
  await Promise.all([page.waitForURL(/done=key_old_ended#token$/), oldForm.locator("button").click()]);
  assert.match(await page.textContent(".notice"), /Прежний токен отключён/);
  assert.equal(await page.locator("form.end-old").count(), 0);
  assert.equal((await api("getstaff", fresh, { inn: partnerA.inn })).status, 401);
  assert.equal((await api("getstaff", second, { inn: partnerA.inn })).status, 200);
  tokenA = second;
  await page.context().close();
});

test("add API keys for three systems: each shown once, a read-only one refused a send, a sending one refused a staff change, revoked alone", async () => {
  const page = await newPage();
  await login(page, partnerA.inn, PASSWORD_A);
  const addKey = async (name, access) => {
    await page.goto(`${BASE}/cabinet/settings#token`);
    await page.click("#key-add summary");
    await page.fill("#key-name", name);
    if (access) await page.check(`#key-${access}`);
    await Promise.all([page.waitForURL(/done=key_added#token$/), page.click("#add-key")]);
    const token = (await page.textContent("#new-token")).trim();
    assert.match(token, /^simo_p_/);
    return token;
  };
  const reports = await addKey("Отчёты", "read");
  const hr = await addKey("1С:ЗУП", null);
  const erp = await addKey("ERP", "send");
  assert.match(await page.textContent('li[data-key="Отчёты"]'), /только чтение/);
  assert.match(await page.textContent('li[data-key="1С:ЗУП"]'), /полный/);
  assert.match(await page.textContent('li[data-key="ERP"]'), /только отправка/);
  assert.equal((await api("getstaff", reports, { inn: partnerA.inn })).status, 200);
  const send = { inn: partnerA.inn, staffid: staff.ivanov, title: "Ключ", message: "Проверка" };
  const refused = await api("createmessage", reports, send);
  assert.equal(refused.status, 403);
  assert.match(refused.body.error, /только для чтения/);
  assert.equal((await api("createmessage", hr, send)).status, 200);
  assert.equal((await api("createmessage", erp, send)).status, 200);
  const rename = await api("updatestaff", erp, { inn: partnerA.inn, staffid: staff.ivanov, name: "Переименован" });
  assert.equal(rename.status, 403);
  assert.match(rename.body.error, /только для отправки сообщений/);
  // Narrowed to reading only on its row: the same token is refused a send from the next call.
  await page.goto(`${BASE}/cabinet/settings#token`);
  const erpRow = page.locator('li[data-key="ERP"]');
  await erpRow.locator("details.key-access summary").click();
  await erpRow.locator('details.key-access input[value="read"]').check();
  await Promise.all([page.waitForURL(/done=key_access#token$/), erpRow.locator("details.key-access button").click()]);
  assert.match(await page.textContent('li[data-key="ERP"]'), /только чтение/);
  assert.equal((await api("createmessage", erp, send)).status, 403);
  await page.reload();
  assert.equal(await page.locator("#new-token").count(), 0, "shown once");
  await shot(page, "08b-settings-keys");
  await page.click('li[data-key="Отчёты"] form[action$="/revoke"] button');
  await page.waitForLoadState();
  assert.match(page.url(), /done=key_revoked#token$/, await page.textContent("body"));
  assert.equal(await page.locator('li[data-key="Отчёты"]').count(), 0);
  assert.equal((await api("getstaff", reports, { inn: partnerA.inn })).status, 401);
  assert.equal((await api("getstaff", hr, { inn: partnerA.inn })).status, 200, "the other key works");
  assert.equal((await api("getstaff", tokenA, { inn: partnerA.inn })).status, 200, "and the main key");
  // Limited to a network the test does not call from: refused; emptied: accepted again.
  const setAddresses = async (value) => {
    const row = page.locator('li[data-key="1С:ЗУП"]');
    await row.locator('details:has(form[action$="/addresses"]) summary').click();
    await row.locator("input[name=addresses]").fill(value);
    await Promise.all([
      page.waitForURL(/done=key_addresses#token$/),
      row.locator('form[action$="/addresses"] button').click(),
    ]);
  };
  await setAddresses("192.0.2.0/24");
  assert.match(await page.textContent('li[data-key="1С:ЗУП"] .key-addresses'), /192\.0\.2\.0\/24/);
  const elsewhere = await api("getstaff", hr, { inn: partnerA.inn });
  assert.equal(elsewhere.status, 403);
  assert.match(elsewhere.body.error, /только с адресов/);
  await setAddresses("");
  assert.match(await page.textContent('li[data-key="1С:ЗУП"] .key-addresses'), /с любого адреса/);
  assert.equal((await api("getstaff", hr, { inn: partnerA.inn })).status, 200);
  // A last day three days on: the list says so and marks it as soon; the key still works.
  const lastDay = new Date(Date.now() + 3 * 86400000).toLocaleDateString("sv-SE", { timeZone: "Europe/Moscow" });
  const row = page.locator('li[data-key="1С:ЗУП"]');
  await row.locator("details.key-end summary").click();
  await row.locator("details.key-end input[name=until]").fill(lastDay);
  await Promise.all([page.waitForURL(/done=key_end#token$/), row.locator("details.key-end button").click()]);
  assert.match(await page.textContent('li[data-key="1С:ЗУП"] .key-ends'), new RegExp(`работает по ${lastDay}`));
  assert.match(await page.textContent('li[data-key="1С:ЗУП"]'), /скоро перестанет работать/);
  assert.equal((await api("getstaff", hr, { inn: partnerA.inn })).status, 200);
  // The dashboard warns of it too, and leads to the keys.
  await page.goto(`${BASE}/cabinet`);
  const note = page.locator(".key-ending", { hasText: "«1С:ЗУП»" });
  assert.match(await note.textContent(), new RegExp(`работает по ${lastDay}: после этого дня вызовы с ним будут отклонены`));
  await Promise.all([page.waitForURL(/\/cabinet\/settings#api-keys$/), note.locator("a").click()]);
  await page.goto(`${BASE}/cabinet/journal`);
  assert.match(await page.textContent("main"), /АСУ \(API\), ключ «1С:ЗУП»|Ключ API отозван/);
  assert.match(await page.textContent("main"), new RegExp(`ключ «1С:ЗУП»; работает по ${lastDay}`));
  await page.context().close();
});

test("disable an employee and see the API refuse a message to them", async () => {
  const page = await newPage();
  await login(page, partnerA.inn, PASSWORD_A);
  await page.goto(`${BASE}/cabinet/employees`);
  await Promise.all([
    page.waitForURL(/done=disabled/),
    page.click(`tr[data-staff-id="${staff.petrova}"] button[name=disable]`),
  ]);
  assert.match(await page.textContent(`tr[data-staff-id="${staff.petrova}"]`), /отключён/);
  assert.match(await page.textContent(".notice"), /отключён от рассылки/);
  const refused = await api("createmessage", tokenA, { inn: partnerA.inn, staffid: staff.petrova, title: "Планерка", message: "В 11:00" });
  assert.equal(refused.status, 409);
  assert.equal(refused.body.success, false);
  await page.click(`tr[data-staff-id="${staff.ivanov}"] summary`);
  await page.fill(`tr[data-staff-id="${staff.ivanov}"] input[name=name]`, "Иванов Иван Иванович");
  await Promise.all([page.waitForURL(/done=renamed/), page.click(`tr[data-staff-id="${staff.ivanov}"] form.stack button`)]);
  assert.match(await page.textContent(`tr[data-staff-id="${staff.ivanov}"]`), /Иванов Иван Иванович/);
  await shot(page, "09-employees-after");
  await page.context().close();
});

test("tick employees, disable them at once, re-enable everyone found and download the list", async () => {
  const page = await newPage();
  await login(page, partnerA.inn, PASSWORD_A);
  await page.goto(`${BASE}/cabinet/employees`);
  const disable = "#bulk button[value=disabled]";
  assert.equal(await page.isDisabled(disable), true, "nothing ticked yet");
  await page.check(`tr[data-staff-id="${staff.ivanov}"] input[name=id]`);
  await page.check(`tr[data-staff-id="${staff.sidorov}"] input[name=id]`);
  assert.equal((await page.textContent("#ticked-count")).trim(), "(2)");
  await Promise.all([page.waitForURL(/done=bulk_disabled/), page.click(disable)]);
  assert.match(await page.textContent(".notice"), /Отключено от рассылки: 2/);
  for (const id of [staff.ivanov, staff.sidorov]) {
    assert.match(await page.textContent(`tr[data-staff-id="${id}"]`), /отключён/);
  }
  // The page's own box ticks every row of it.
  await page.check("#pick-page");
  assert.equal((await page.textContent("#ticked-count")).trim(), "(3)");
  await page.uncheck("#pick-page");
  assert.equal(await page.isDisabled(disable), true);

  // Everyone the filter finds (Петрова, disabled by the scenario before, and the two): asked
  // first; a "no" changes nothing.
  await page.click("#employee-states a[data-state=disabled]");
  await page.waitForURL(/state=disabled/);
  assert.equal(await page.locator("#employees tbody tr").count(), 3);
  const enableAll = "#bulk button[value=active_all]";
  await page.click(enableAll);
  assert.equal(page.dialogs.length, 1);
  assert.match(page.dialogs[0], /\(3\)/);
  assert.doesNotMatch(page.url(), /done=/);
  page.acceptDialogs = true;
  await Promise.all([page.waitForURL(/done=bulk_enabled/), page.click(enableAll)]);
  assert.match(await page.textContent(".notice"), /Включено в рассылку \(подтверждено\): 3/);
  assert.match(await page.textContent("main"), /Никого не нашлось/);
  const back = await api("createmessage", tokenA, { inn: partnerA.inn, staffid: staff.petrova, title: "Снова в рассылке", message: "Проверка" });
  assert.equal(back.status, 200, JSON.stringify(back.body));
  await shot(page, "10-employees-bulk");

  // "Write to them" opens the send form with the ticked employee chosen.
  await page.goto(`${BASE}/cabinet/employees`);
  await page.check(`tr[data-staff-id="${staff.sidorov}"] input[name=id]`);
  await Promise.all([page.waitForURL(/\/cabinet\/send\?staff=/), page.click("#bulk button[value=write]")]);
  assert.equal(await page.isChecked(`input[name=staff][value="${staff.sidorov}"]`), true);
  assert.equal(await page.locator("input[name=staff]:checked").count(), 1);

  await page.goto(`${BASE}/cabinet/employees`);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#employees-export")]);
  assert.match(download.suggestedFilename(), new RegExp(`^simo-employees-${partnerA.inn}-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
  const file = readFileSync(await download.path(), "utf8");
  assert.ok(file.startsWith("\uFEFFID сотрудника;ФИО;Телефон;"), file.slice(0, 80));
  const csv = file.slice(1).trimEnd().split("\r\n");
  assert.equal(csv.length, 4, csv.join("\n"));
  assert.ok(csv.some((line) => line.startsWith(`${staff.petrova};Петрова Анна;'+79001110002;в рассылке;`)), csv.join("\n"));

  // The journal, reached from the menu, holds both actions, newest first.
  await Promise.all([page.waitForURL(/\/cabinet\/journal/), page.click("nav >> text=Журнал")]);
  const actions = await page.$$eval("#journal tbody td.audit-what", (cells) => cells.map((c) => c.textContent.trim()));
  assert.deepEqual(actions.slice(0, 2), ["Включено в рассылку списком: 3", "Отключено от рассылки списком: 2"]);
  await shot(page, "10-journal");
  await page.context().close();
});

test("one partner cannot open another's message by URL", async () => {
  const page = await newPage();
  await login(page, partnerA.inn, PASSWORD_A);
  const res = await page.goto(`${BASE}/cabinet/messages/${messageOfB}`);
  assert.equal(res.status(), 404);
  assert.doesNotMatch(await page.content(), /только для Лета|Секрет Лета/);
  await shot(page, "10-not-found");
  const other = await newPage();
  await login(other, partnerB.inn, PASSWORD_B);
  const own = await other.goto(`${BASE}/cabinet/messages/${messageOfB}`);
  assert.equal(own.status(), 200);
  await page.context().close();
  await other.context().close();
});

test("documentation, English and a phone screen", async () => {
  const page = await newPage();
  await login(page, partnerA.inn, PASSWORD_A);
  await page.goto(`${BASE}/cabinet/docs`);
  assert.match(await page.textContent("#createmessage"), new RegExp(`"inn":"${partnerA.inn}"`));
  assert.match(await page.textContent("#onec"), /HTTPСоединение/);
  await shot(page, "11-docs");
  // The interactive reference reads the spec as OpenAPI 3.1, so it shows the webhook too.
  await page.goto(`${BASE}/api/docs`);
  await page.waitForSelector(".opblock", { timeout: 15000 });
  assert.match(await page.textContent("body"), /Webhooks[\s\S]*messagestatus/);
  await shot(page, "11b-api-docs");
  await page.goto(`${BASE}/cabinet/messages?lang=en`);
  assert.match(await page.textContent("h1"), /Messages/);
  // The guide in English: the same sections, the partner's own INN in the examples.
  await page.goto(`${BASE}/cabinet/docs`);
  assert.match(await page.textContent("#api h2"), /Connecting your system over the API/);
  assert.match(await page.textContent("#recallmessage"), new RegExp(`recall a message sent by mistake[\\s\\S]*"inn":"${partnerA.inn}"`));
  await shot(page, "11c-docs-english");
  await page.goto(`${BASE}/cabinet/messages?lang=ru`);
  await page.context().close();

  const phone = await newPage({ width: 390, height: 844 });
  await login(phone, partnerA.inn, PASSWORD_A);
  await phone.goto(`${BASE}/cabinet/messages`);
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px on a phone`);
  await shot(phone, "12-phone-messages");
  await phone.goto(`${BASE}/cabinet`);
  await shot(phone, "13-phone-dashboard");
  await phone.context().close();
});

test("the operator logs in, creates a partner and sees its token once", async () => {
  const page = await newPage();
  await page.goto(`${BASE}/operator`);
  assert.equal(new URL(page.url()).pathname, "/operator/login");
  await page.fill("input[name=login]", "ops");
  await page.fill("input[name=password]", "operator-password");
  await Promise.all([page.waitForURL(`${BASE}/operator`), page.click("button[type=submit]")]);
  assert.equal(await page.locator("#partners tbody tr").count(), 2);
  await page.fill("#create-partner input[name=inn]", "500100732259");
  await page.fill("#create-partner input[name=name]", "ИП Осень");
  await page.fill("#create-partner input[name=full_name]", "Индивидуальный предприниматель Осенев О. О.");
  await page.fill("#create-partner input[name=password]", "osen-password");
  await Promise.all([page.waitForURL(`${BASE}/operator?done=partner_created`), page.click("#create-partner button[type=submit]")]);
  const token = (await page.textContent("#new-token")).trim();
  assert.equal((await api("getstaff", token, { inn: "500100732259" })).status, 200);
  await shot(page, "14-operator");
  await page.reload();
  assert.equal(await page.locator("#new-token").count(), 0, "shown once");
  assert.equal(await page.locator("#partners tbody tr").count(), 3, "a reload creates nothing");
  await page.fill("#partner-filters input[name=q]", "ОСЕН");
  await Promise.all([page.waitForURL(/\/operator\?q=/), page.click("#partner-filters button[type=submit]")]);
  assert.equal(await page.locator("#partners tbody tr").count(), 1);
  assert.match(await page.textContent("#partners-found"), /1 из 3/);
  // Disabling from the searched list comes back to the same search.
  await Promise.all([page.waitForURL(/done=partner_disabled/), page.click("#partners tbody tr button.danger")]);
  assert.equal(new URL(page.url()).searchParams.get("q"), "ОСЕН");
  assert.equal(await page.locator("#partners tbody tr .badge.warn").count(), 1);
  // A typo in the name: corrected from the same row.
  const row = page.locator("#partners tbody tr").first();
  await row.locator(`details.rename:has(form[action$="/names"]) summary`).click();
  await row.locator("input[name=name]").fill("ИП Осенев");
  await Promise.all([page.waitForURL(/done=partner_renamed/), row.locator(`form[action$="/names"] button[type=submit]`).click()]);
  assert.match(await page.textContent("#partners"), /ИП Осенев/);
  // A limit of API calls of its own, shown on the row's button; the server's is the placeholder.
  await row.locator(`details.rename:has(form[action$="/rate"]) summary`).click();
  assert.match(await row.locator("input[name=rate]").getAttribute("placeholder"), /^\d+$/);
  await row.locator("input[name=rate]").fill("500");
  await Promise.all([page.waitForURL(/done=partner_rate/), row.locator(`form[action$="/rate"] button[type=submit]`).click()]);
  assert.match(await page.locator("#partners tbody tr").first().locator(`details.rename:has(form[action$="/rate"]) summary`).textContent(), /: 500/);

  // Usage this month: partner A's messages counted, the busiest first, and the CSV for billing.
  await Promise.all([page.waitForURL(/\/operator\/usage/), page.click("nav >> text=Использование")]);
  assert.equal(await page.locator("#usage tbody tr").count(), 3);
  const first = page.locator("#usage tbody tr").first();
  assert.equal(await first.getAttribute("data-partner-inn"), partnerA.inn);
  assert.ok(Number(await first.locator("td[data-k=messages]").textContent()) >= 5);
  await shot(page, "15-usage");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#usage-export")]);
  assert.match(download.suggestedFilename(), /^simo-usage-\d{4}-\d{2}\.csv$/);
  const file = readFileSync(await download.path(), "utf8");
  assert.ok(file.startsWith("\uFEFFМесяц;ИНН организации;"), file.slice(0, 60));
  assert.equal(file.slice(1).trimEnd().split("\r\n").length, 4);

  // The contract ended: the disabled company is deleted with all its data, its INN typed again.
  await page.goto(`${BASE}/operator?q=${encodeURIComponent("ОСЕН")}`);
  const ending = page.locator("#partners tbody tr").first();
  await ending.locator("details.erase summary").click();
  await ending.locator("details.erase input[name=confirm]").fill("500100732258");
  await Promise.all([page.waitForURL(/\/operator\/partners\/\d+\/erase/), ending.locator("details.erase button[type=submit]").click()]);
  assert.match(await page.textContent("main"), /введите ИНН компании: 500100732259/);
  await page.goto(`${BASE}/operator?q=${encodeURIComponent("ОСЕН")}`);
  await page.locator("#partners tbody tr details.erase summary").click();
  await page.fill("#partners tbody tr details.erase input[name=confirm]", "500100732259");
  await Promise.all([page.waitForURL(/done=partner_erased/), page.click("#partners tbody tr details.erase button[type=submit]")]);
  assert.match(await page.textContent("main"), /Компания удалена со всеми её данными/);
  await page.goto(`${BASE}/operator`);
  assert.equal(await page.locator("#partners tbody tr").count(), 2);
  assert.equal((await api("getstaff", token, { inn: "500100732259" })).status, 401, "its token is gone");

  // The operator's journal keeps the deletion: who, when, what went, and the company's name.
  await Promise.all([page.waitForURL(`${BASE}/operator/journal`), page.click("nav >> text=Журнал")]);
  const newest = page.locator("#journal tbody tr").first();
  assert.equal(await newest.getAttribute("data-partner-inn"), "500100732259");
  assert.match(await newest.textContent(), /Оператор ops/);
  assert.match(await newest.textContent(), /Организация удалена со всеми её данными: удалено сообщений: 0, сотрудников: 0/);
  assert.match(await newest.textContent(), /ИП Осенев/);
  // Its INN selects its entries: created, disabled, renamed, limited, deleted.
  await Promise.all([page.waitForURL(/\/operator\/journal\?inn=500100732259/), newest.locator("a.in-text").click()]);
  assert.equal(await page.locator("#journal tbody tr").count(), 5);
  await shot(page, "37-operator-journal");
  await page.context().close();
});

test("turn the webhook on, send a test, get a status change signed, turn it off", async () => {
  // The partner's endpoint: keeps every POST with its headers.
  const got = [];
  const receiver = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(204).end();
    });
  });
  await new Promise((ok) => receiver.listen(0, "127.0.0.1", ok));
  const url = `http://127.0.0.1:${receiver.address().port}/simo/webhook`;
  const signedWith = (r, secret) =>
    r.headers["x-simo-signature"] ===
    "sha256=" + createHmac("sha256", secret).update(`${r.headers["x-simo-timestamp"]}.`).update(r.body).digest("hex");
  try {
    const page = await newPage();
    await login(page, partnerA.inn, PASSWORD_A);
    await Promise.all([page.waitForURL(`${BASE}/cabinet/webhook`), page.click("nav a[href='/cabinet/webhook']")]);
    assert.ok(await page.isVisible("#webhook-off-state"));
    await page.fill("#webhook-url", url);
    await Promise.all([page.waitForURL(/done=webhook_on/), page.click("#webhook-save")]);
    assert.match(await page.textContent(".notice"), /Вебхук включён/);
    const secret = (await page.textContent("#webhook-secret")).trim();
    assert.match(secret, /^whsec_[0-9a-f]{64}$/);
    await Promise.all([page.waitForLoadState("load"), page.click("#webhook-test")]);
    assert.match(await page.textContent("#test-result"), /Проверочный запрос принят: HTTP 204/);
    assert.equal(got.length, 1);
    assert.ok(signedWith(got[0], secret), "the test is signed with the secret shown");
    assert.deepEqual(JSON.parse(got[0].body), { inn: partnerA.inn, test: true, events: [] });

    // A message to an employee without a device: its `no_device` comes by itself.
    const r = await api("createmessage", tokenA, { inn: partnerA.inn, staffid: staff.petrova, title: "Вебхук", message: "Проверка" });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const id = r.body.data.messageid;
    for (let i = 0; i < 100 && got.length < 2; i++) await new Promise((ok) => setTimeout(ok, 100));
    assert.equal(got.length, 2, "the status change was posted");
    assert.ok(signedWith(got[1], secret));
    const events = JSON.parse(got[1].body).events;
    assert.deepEqual(events.map((e) => [e.messageid, e.staffid, e.status]), [[id, staff.petrova, "no_device"]]);
    await page.goto(`${BASE}/cabinet/webhook`);
    assert.equal((await page.textContent("#webhook-pending")).trim(), "0");
    assert.doesNotMatch(await page.textContent("#webhook-last-success"), /ещё не было/);
    // Employee events: off until asked for, then on with one press.
    assert.equal((await page.textContent("#webhook-staff-state")).trim(), "Не сообщаются");
    await Promise.all([page.waitForURL(/done=webhook_staff_on/), page.click("#webhook-staff-on")]);
    assert.equal((await page.textContent("#webhook-staff-state")).trim(), "Сообщаются");
    assert.ok(await page.isVisible("#webhook-staff-off"));
    await shot(page, "16-webhook");

    // Off, after the confirmation: nothing more is posted.
    page.acceptDialogs = true;
    await Promise.all([page.waitForURL(/done=webhook_off/), page.click("#webhook-off")]);
    assert.match(page.dialogs.at(-1), /Выключить вебхук/);
    assert.ok(await page.isVisible("#webhook-off-state"));
    await api("createmessage", tokenA, { inn: partnerA.inn, staffid: staff.petrova, title: "После", message: "—" });
    await new Promise((ok) => setTimeout(ok, 500));
    assert.equal(got.length, 2);
    // The journal filtered to the webhook's entries (the select applies itself), and as CSV.
    await page.goto(`${BASE}/cabinet/journal`);
    await Promise.all([page.waitForURL(/kind=webhook/), page.selectOption("#kind", "webhook")]);
    const whats = await page.$$eval("#journal td.audit-what", (cells) => cells.map((c) => c.textContent.trim()));
    assert.deepEqual(whats, ["Вебхук отключён", "Вебхук сообщает о сотрудниках", `Вебхук включён: ${url}`]);
    await shot(page, "17-journal-webhook");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
    assert.equal(download.suggestedFilename(), `journal-${partnerA.inn}.csv`);
    const csv = readFileSync(await download.path(), "utf8");
    const lines = csv.replace(/^\uFEFF/, "").trim().split("\r\n");
    assert.equal(lines[0], "Когда;Кто;Что сделано;Подробности;Адрес");
    assert.equal(lines.length, 4, csv);
    assert.match(lines[3], /;Администратор \(вход по ИНН\);Вебхук включён;http:\/\/127\.0\.0\.1:\d+\/simo\/webhook;127\.0\.0\.1$/);
    await page.context().close();
  } finally {
    receiver.close();
  }
});

test("schedule a message with its file, see it wait on the dashboard and its page, cancel one, see one go out", async () => {
  // The form's time is the server's zone (Moscow by default), as a datetime-local value.
  const moscow = (ms) =>
    new Intl.DateTimeFormat("sv-SE", {
      timeZone: "Europe/Moscow", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    }).format(new Date(ms)).replace(" ", "T");
  const tomorrow = moscow(Date.now() + 24 * 3600 * 1000);
  const page = await newPage();
  await login(page, partnerA.inn, PASSWORD_A);
  await page.goto(`${BASE}/cabinet/send`);
  assert.equal((await page.textContent("#send-submit")).trim(), "Отправить");
  await page.check(`#staff-list input[value="${staff.petrova}"]`);
  await page.fill("input[name=title]", "Обход склада");
  await page.fill("textarea[name=text]", "Завтра в 8:00 обход склада.");
  // A scheduled send carries its file, kept while it waits.
  const route = Buffer.from("%PDF-1.4\n% Маршрут обхода склада\n");
  await page.setInputFiles("#send-files", [{ name: "Маршрут обхода.pdf", mimeType: "application/pdf", buffer: route }]);
  // Picking a time chooses "Schedule for" and renames the button.
  await page.fill("#send-at", tomorrow);
  assert.ok(await page.isChecked("#send-later"));
  assert.equal((await page.textContent("#send-submit")).trim(), "Запланировать");
  await shot(page, "18-send-later");
  await Promise.all([page.waitForLoadState("load"), page.click("#send-submit")]);
  assert.match(await page.textContent("#schedule-result"), new RegExp(`Сообщение запланировано на ${tomorrow.replace("T", " ")}`));
  assert.ok(await page.isChecked("#send-now"), "the form is back to 'now'");

  // The partner's system schedules one two seconds ahead.
  const soon = new Date(Date.now() + 2000).toISOString();
  const r = await api("schedulemessage", tokenA, { inn: partnerA.inn, staffids: [staff.sidorov], title: "Через две секунды", message: "—", senddate: soon });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await page.goto(`${BASE}/cabinet`);
  assert.match(await page.textContent("#dash-scheduled"), /запланировано, ближайшее/);
  await Promise.all([page.waitForURL(`${BASE}/cabinet/scheduled`), page.click("#dash-scheduled")]);
  assert.match(await page.textContent("#sched-pending"), /Обход склада/);
  const routeLink = page.locator("#sched-pending tr", { hasText: "Обход склада" }).locator(".sched-files a");
  assert.match(await routeLink.textContent(), /Маршрут обхода\.pdf/);
  const [routeDownload] = await Promise.all([page.waitForEvent("download"), routeLink.click()]);
  assert.equal(routeDownload.suggestedFilename(), "Маршрут обхода.pdf");
  assert.deepEqual(readFileSync(await routeDownload.path()), route);
  await shot(page, "19-scheduled");

  // The API's one goes out by itself and shows what it created.
  for (let i = 0; i < 100; i++) {
    await page.goto(`${BASE}/cabinet/scheduled`);
    if ((await page.locator("#sched-done").count()) > 0) break;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  const done = await page.textContent("#sched-done");
  assert.match(done, /Через две секунды/);
  assert.match(done, /создано сообщений: 1/);
  // Its list: the send's messages.
  await Promise.all([page.waitForURL(/\/cabinet\/messages\?send=\d+$/), page.click("#sched-done a.sched-messages")]);
  assert.deepEqual(await titles(page), ["Через две секунды"]);

  // Changed: an hour later, its title too; the form shows the send as it is.
  await page.goto(`${BASE}/cabinet/scheduled`);
  await Promise.all([page.waitForURL(/\/cabinet\/scheduled\/\d+\/edit$/), page.locator("#sched-pending tr", { hasText: "Обход склада" }).locator("a", { hasText: "Изменить" }).click()]);
  assert.equal(await page.inputValue("#sched-edit-at"), tomorrow);
  assert.equal(await page.inputValue("#sched-edit input[name=title]"), "Обход склада");
  const later = moscow(Date.now() + 25 * 3600 * 1000);
  await page.fill("#sched-edit-at", later);
  await page.fill("#sched-edit input[name=title]", "Обход склада (перенос)");
  // From Petrova alone to everyone active, every week.
  assert.ok(await page.isChecked("#sched-to-keep"));
  await page.check("#sched-to-all");
  await page.selectOption("#sched-edit-repeat", "weekly");
  // It now asks to be acknowledged; its file stays.
  assert.ok(!(await page.isChecked("#sched-edit-ack")));
  await page.check("#sched-edit-ack");
  assert.match(await page.textContent("#sched-edit-files"), /Маршрут обхода\.pdf/);
  assert.ok(!(await page.isChecked("#sched-edit-drop-files")));
  await shot(page, "19b-scheduled-edit");
  await Promise.all([page.waitForURL(/done=sched_changed/), page.click("#sched-edit-save")]);
  assert.match(await page.textContent(".notice"), /Запланированная отправка изменена/);
  const moved = await page.textContent("#sched-pending");
  assert.match(moved, /Обход склада \(перенос\)/);
  assert.ok(moved.includes(later.replace("T", " ")), moved);
  const row = await page.locator("#sched-pending tr", { hasText: "Обход склада" }).textContent();
  assert.match(row, /все активные сотрудники/);
  assert.match(row, /↻ каждую неделю/);
  assert.match(row, /✓ Требуется подтверждение ознакомления/);
  assert.match(row, /Маршрут обхода\.pdf/);
  // Sent without the file after all: the edit form drops it.
  await Promise.all([page.waitForURL(/\/cabinet\/scheduled\/\d+\/edit$/), page.locator("#sched-pending tr", { hasText: "Обход склада" }).locator("a", { hasText: "Изменить" }).click()]);
  await page.check("#sched-edit-drop-files");
  await Promise.all([page.waitForURL(/done=sched_changed/), page.click("#sched-edit-save")]);
  const bare = await page.locator("#sched-pending tr", { hasText: "Обход склада" }).textContent();
  assert.doesNotMatch(bare, /Маршрут обхода/);

  // Cancel asks first; dismissed, it stays; accepted, it is gone from the waiting ones.
  await page.goto(`${BASE}/cabinet/scheduled`);
  const cancel = page.locator("#sched-pending tr", { hasText: "Обход склада" }).locator("button");
  await cancel.click();
  assert.match(page.dialogs.at(-1), /Отменить эту отправку/);
  assert.match(await page.textContent("#sched-pending"), /Обход склада/);
  page.acceptDialogs = true;
  await Promise.all([page.waitForURL(/done=sched_cancelled/), cancel.click()]);
  assert.match(await page.textContent(".notice"), /Отправка отменена/);
  assert.ok(await page.isVisible("#sched-none"));
  assert.match(await page.textContent("#sched-done"), /Обход склада[\s\S]*Отменено/);
  await shot(page, "20-scheduled-done");
  await page.context().close();
});

test("keep a template and fill the send form from it, the ticked employee kept", async () => {
  const page = await newPage();
  await login(page, partnerA.inn, PASSWORD_A);
  await page.goto(`${BASE}/cabinet/send`);
  await Promise.all([page.waitForURL(`${BASE}/cabinet/templates`), page.click("#to-templates")]);
  assert.ok(await page.isVisible("#tpl-none"));
  await page.fill("#tpl-name", "Пересменка");
  await page.fill("#tpl-title", "Пересменка в 20:00");
  await page.fill("#tpl-text", "Сдайте смену старшему.");
  await Promise.all([page.waitForURL(/done=template_saved/), page.click("#tpl-save")]);
  assert.match(await page.textContent("#templates"), /Пересменка в 20:00/);
  await shot(page, "21-templates");
  await page.goto(`${BASE}/cabinet/send`);
  assert.equal(await page.isVisible("#tpl-apply"), false, "the choice applies itself");
  await page.check(`#staff-list input[value="${staff.ivanov}"]`);
  await Promise.all([page.waitForURL(/template=/), page.selectOption("#tpl-select", { label: "Пересменка" })]);
  assert.equal(await page.inputValue("input[name=title]"), "Пересменка в 20:00");
  assert.equal(await page.inputValue("textarea[name=text]"), "Сдайте смену старшему.");
  assert.ok(await page.isChecked(`#staff-list input[value="${staff.ivanov}"]`), "the ticked employee is kept");
  await Promise.all([page.waitForLoadState("load"), page.click("#send-submit")]);
  assert.match(await page.textContent("#send-created"), /Создано сообщений: 1/);
  await page.context().close();
});

test("make a group, put ticked employees in it from the list, filter by it and write to it", async () => {
  const page = await newPage();
  await login(page, partnerA.inn, PASSWORD_A);
  await page.goto(`${BASE}/cabinet/employees`);
  await Promise.all([page.waitForURL(`${BASE}/cabinet/groups`), page.click("#to-groups")]);
  assert.ok(await page.isVisible("#grp-none"));
  await page.fill("#grp-name", "Смена А");
  await Promise.all([page.waitForURL(/done=group_saved/), page.click("#grp-save")]);
  assert.match(await page.textContent("#groups"), /Смена А/);

  await page.goto(`${BASE}/cabinet/employees`);
  await page.check(`tr[data-staff-id="${staff.ivanov}"] input[name=id]`);
  await page.check(`tr[data-staff-id="${staff.sidorov}"] input[name=id]`);
  await page.selectOption("#bulk-group", { label: "Смена А" });
  await Promise.all([page.waitForURL(/done=bulk_group_added/), page.click("#bulk button[value=group_add]")]);
  assert.match(await page.textContent(".notice"), /Добавлено в группу: 2/);
  assert.match(await page.textContent(`tr[data-staff-id="${staff.ivanov}"]`), /Смена А/);
  await page.selectOption("#group-filter", { label: "Смена А" });
  await Promise.all([page.waitForURL(/group=/), page.click("#employee-filters button[type=submit]")]);
  const shown = await page.$$eval("#employees tbody tr", (rows) => rows.map((r) => r.dataset.staffId));
  assert.deepEqual(shown.sort(), [staff.ivanov, staff.sidorov].sort());
  await shot(page, "22-employees-group");

  const groups = await api("getgroups", tokenA, { inn: partnerA.inn });
  assert.deepEqual(groups.body.data.map((g) => [g.name, g.staffids.sort()]), [["Смена А", [staff.ivanov, staff.sidorov].sort()]]);

  // "Написать" on the groups page: the group is chosen, the ticks step aside.
  await page.goto(`${BASE}/cabinet/groups`);
  await Promise.all([page.waitForURL(/send\?group=/), page.click("#groups a.primary")]);
  assert.match(await page.textContent("#send-group option:checked"), /Смена А \(активных: 2\)/);
  assert.ok(await page.isDisabled(`#staff-list input[value="${staff.petrova}"]`), "ticks are not sent with a group");
  await page.check("#send-all");
  assert.equal(await page.inputValue("#send-group"), "", "all and a group exclude each other");
  await page.selectOption("#send-group", { label: "Смена А (активных: 2)" });
  assert.equal(await page.isChecked("#send-all"), false);
  await page.fill("input[name=title]", "Смена А: пересменка");
  await page.fill("textarea[name=text]", "В 20:00 у проходной.");
  await shot(page, "23-send-to-group");
  await Promise.all([page.waitForLoadState("load"), page.click("#send-submit")]);
  assert.match(await page.textContent("#send-created"), /Создано сообщений: 2/);
  await page.context().close();
});

test("schedule a send that repeats every week, see it marked, and stop it", async () => {
  const page = await newPage();
  await login(page, partnerA.inn, PASSWORD_A);
  await page.goto(`${BASE}/cabinet/send`);
  await page.check(`#staff-list input[value="${staff.ivanov}"]`);
  await page.fill("input[name=title]", "Планерка по понедельникам");
  await page.fill("textarea[name=text]", "В 9:15 в переговорной.");
  // Choosing a repeat chooses "Schedule for": only a scheduled send repeats.
  await page.selectOption("#send-repeat", "weekly");
  assert.ok(await page.isChecked("#send-later"));
  assert.equal((await page.textContent("#send-submit")).trim(), "Запланировать");
  const nextWeek = new Intl.DateTimeFormat("sv-SE", {
    timeZone: "Europe/Moscow", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  }).format(new Date(Date.now() + 7 * 24 * 3600 * 1000)).replace(" ", "T");
  await page.fill("#send-at", nextWeek);
  await Promise.all([page.waitForLoadState("load"), page.click("#send-submit")]);
  assert.match(await page.textContent("#schedule-result"), /каждую неделю/);
  await page.goto(`${BASE}/cabinet/scheduled`);
  const row = page.locator("#sched-pending tr", { hasText: "Планерка по понедельникам" });
  assert.match(await row.textContent(), /↻ каждую неделю/);
  await shot(page, "24-scheduled-weekly");
  page.acceptDialogs = true;
  await Promise.all([page.waitForURL(/done=sched_cancelled/), row.locator("button.danger").click()]);
  const list = await api("getschedule", tokenA, { inn: partnerA.inn });
  assert.ok(!list.body.data.pending.some((s) => s.title === "Планерка по понедельникам"), "the series stopped");
  await page.context().close();
});

test("recall a send that went to everyone by mistake: the app is told, the list shows it recalled", async () => {
  const bulk = await api("createmessagebulk", tokenA, { inn: partnerA.inn, all: true, title: "Не то письмо", message: "Отправлено по ошибке" });
  assert.equal(bulk.status, 200, JSON.stringify(bulk.body));
  const sent = bulk.body.data.messages.map((m) => m.messageid);
  assert.ok(sent.length >= 3, JSON.stringify(bulk.body));
  const page = await newPage();
  await login(page, partnerA.inn, PASSWORD_A);
  await page.goto(`${BASE}/cabinet/messages/${sent[0]}`);
  // The send's tally: every recipient counted; a count opens the list of the send's messages.
  assert.equal((await page.textContent("#send-recipients")).trim(), String(sent.length));
  await Promise.all([page.waitForURL(new RegExp(`/cabinet/messages\\?send=${sent[0]}$`)), page.click("#send-recipients")]);
  assert.deepEqual(await titles(page), sent.map(() => "Не то письмо"));
  assert.match(await page.textContent("#send-filter"), new RegExp(`№${sent[0]}`));
  await page.goto(`${BASE}/cabinet/messages/${sent[0]}`);
  const everyone = page.locator('#recall button[value="send"]');
  assert.match(await everyone.textContent(), new RegExp(`Отозвать у всех получателей этой рассылки \\(${sent.length}\\)`));
  await shot(page, "27-message-recall");
  // Dismissed, the confirmation recalls nothing.
  await everyone.click();
  assert.match(page.dialogs.at(-1), /Отменить это нельзя/);
  assert.equal(await page.locator("#recall").count(), 1);
  page.acceptDialogs = true;
  await Promise.all([page.waitForLoadState("load"), everyone.click()]);
  assert.match(await page.textContent(".notice"), new RegExp(`Отозвано сообщений: ${sent.length}`));
  assert.equal(await page.locator("#recall").count(), 0, "no recall buttons on a recalled message");
  assert.match(await page.textContent(".timeline"), /Отозвано.*Сообщение отозвано \(из личного кабинета\)/s);
  await shot(page, "28-message-recalled");
  await page.goto(`${BASE}/cabinet/messages?status=recalled`);
  assert.deepEqual(await titles(page), sent.map(() => "Не то письмо"));
  // The partner's system sees them recalled too.
  const recalled = await api("getmessagestatus", tokenA, { inn: partnerA.inn, messageids: sent });
  assert.deepEqual(recalled.body.data.messages.map((m) => m.status), sent.map(() => "recalled"));

  // A system's mistake sent as single messages, each its own send: found by a search and
  // recalled at once, after a confirmation.
  const singles = [];
  for (const staffid of [staff.ivanov, staff.sidorov]) {
    const one = await api("createmessage", tokenA, { inn: partnerA.inn, staffid, title: "Ошибка интеграции", message: "—" });
    singles.push(one.body.data.messageid);
  }
  await page.goto(`${BASE}/cabinet/messages?q=${encodeURIComponent("Ошибка интеграции")}`);
  await page.click("#recall-found summary");
  await shot(page, "28b-recall-found");
  await Promise.all([page.waitForURL(/done=bulk_recalled&n=2/), page.click("#recall-found button")]);
  assert.match(await page.textContent(".notice"), /Отозвано сообщений: 2/);
  const both = await api("getmessagestatus", tokenA, { inn: partnerA.inn, messageids: singles });
  assert.deepEqual(both.body.data.messages.map((m) => m.status), ["recalled", "recalled"]);
  await page.context().close();
});

test("push a message again once its employee has installed the app", async () => {
  // A new employee logs in without push yet: the message is stored, its push has nowhere to go.
  const phone = "+79001110077";
  await api("auth", null, { inn: partnerA.inn, staffname: "Кузнецова Мария", phone, device: "android" });
  const confirmed = await api("confirmsmscode", null, { inn: partnerA.inn, phone, smscode: smsCode(phone) });
  assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
  const { staffid, apitoken } = confirmed.body.data;
  const r = await api("createmessage", tokenA, { inn: partnerA.inn, staffid, title: "Пропуск", message: "Пропуск готов, заберите на проходной" });
  assert.equal(r.body.data.status, "no_device", JSON.stringify(r.body));
  const id = r.body.data.messageid;
  const page = await newPage();
  await login(page, partnerA.inn, PASSWORD_A);
  await page.goto(`${BASE}/cabinet/messages/${id}`);
  assert.ok(await page.isVisible("#resend-none"), "nowhere to push yet");
  // She turns push on in the app; the page now offers to push it again.
  const token = await api("updatepushtoken", apitoken, { inn: partnerA.inn, staffId: staffid, pushtoken: "fcm-browser-1", device: "android" });
  assert.equal(token.status, 200, JSON.stringify(token.body));
  // The list filtered to the undelivered offers to push them all again.
  await page.goto(`${BASE}/cabinet/messages?status=no_device`);
  assert.ok(await page.isVisible("#resend-found button"));
  await page.goto(`${BASE}/cabinet/messages/${id}`);
  await shot(page, "29-message-resend");
  await Promise.all([page.waitForURL(/done=bulk_resent&n=1/), page.click("#resend-one")]);
  assert.match(await page.textContent(".notice"), /Поставлено в очередь на отправку повторно: 1/);
  assert.match(await page.textContent(".timeline"), /Отправка повторена \(из личного кабинета\)/);
  for (let i = 0; i < 100; i++) {
    const st = await api("getmessagestatus", tokenA, { inn: partnerA.inn, messageids: [id] });
    if (st.body.data.messages[0].status === "sent") break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  await page.reload();
  assert.equal(await page.locator("#resend").count(), 0, "sent: nothing to push again");
  assert.match(await page.textContent(".timeline"), /Отправлено/);
  await page.context().close();
});

test("ask two employees to acknowledge an order and see who has not yet", async () => {
  const loginApp = async (phone, name) => {
    await api("auth", null, { inn: partnerA.inn, staffname: name, phone, device: "android" });
    const confirmed = await api("confirmsmscode", null, { inn: partnerA.inn, phone, smscode: smsCode(phone) });
    assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
    return confirmed.body.data;
  };
  const first = await loginApp("+79001110088", "Орлова Вера");
  const second = await loginApp("+79001110089", "Зайцев Олег");
  // His app has a device to push to: he can be reminded.
  const device = await api("updatepushtoken", second.apitoken, { pushtoken: "demo-token-zaitsev", device: "android" });
  assert.equal(device.status, 200, JSON.stringify(device.body));
  const page = await newPage();
  await login(page, partnerA.inn, PASSWORD_A);
  await page.goto(`${BASE}/cabinet/send`);
  await page.check(`#staff-list input[value="${first.staffid}"]`);
  await page.check(`#staff-list input[value="${second.staffid}"]`);
  await page.fill("input[name=title]", "Приказ № 12 о графике отпусков");
  await page.fill("textarea[name=text]", "Ознакомьтесь с графиком отпусков на 2027 год.");
  await page.check("#send-ack");
  await Promise.all([page.waitForLoadState("load"), page.click("#send-submit")]);
  assert.match(await page.textContent("#send-created"), /Создано сообщений: 2/);
  // The first employee presses the app's button: the app reports it.
  const mine = await api("getmessage", first.apitoken, { inn: partnerA.inn, count: 1 });
  const order = mine.body.data[0];
  assert.equal(order.requireack, true, JSON.stringify(order));
  const acked = await api("messagestatus", first.apitoken, { inn: partnerA.inn, messageids: [order.messageId], status: "acknowledged" });
  assert.equal(acked.body.data.updated, 1, JSON.stringify(acked.body));
  await page.goto(`${BASE}/cabinet/messages/${order.messageId}`);
  assert.match(await page.textContent("#ack-own"), /Сотрудник ознакомился/);
  assert.equal((await page.textContent("#ack-count")).trim(), "1");
  assert.equal((await page.textContent("#ack-total")).trim(), "2");
  assert.match(await page.textContent("#ack-waiting"), /Зайцев Олег/);
  assert.doesNotMatch(await page.textContent("#ack-waiting"), /Орлова Вера/);
  assert.match(await page.textContent(".timeline"), /Сотрудник подтвердил ознакомление/);
  await shot(page, "33-message-acknowledgment");
  // He has not acknowledged: remind him, once his notification went.
  const his = (await api("getmessage", second.apitoken, { inn: partnerA.inn, count: 1 })).body.data[0];
  for (let i = 0; i < 100; i++) {
    const state = await api("getmessagestatus", tokenA, { inn: partnerA.inn, messageids: [his.messageId] });
    if (state.body.data.messages[0].status !== "queued") break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await page.reload();
  assert.ok(!(await page.isVisible("#remind-one")), "she acknowledged");
  assert.match(await page.textContent("#remind-send"), /Напомнить всем, кто не ознакомился \(1\)/);
  await Promise.all([page.waitForURL(/done=bulk_reminded&n=1/), page.click("#remind-send")]);
  assert.match(await page.textContent(".notice"), /Напоминание поставлено в очередь, сотрудников: 1/);
  assert.ok(await page.isVisible("#remind-last"));
  assert.ok(await page.isVisible("#remind-none"), "once an hour");
  await shot(page, "34-message-reminded");
  // Or let the server remind by itself a day after.
  await page.goto(`${BASE}/cabinet/settings`);
  await page.selectOption("#ack-remind-hours", "24");
  await Promise.all([page.waitForURL(/done=auto_reminders_saved/), page.click("#ack-remind-save")]);
  assert.match(await page.textContent(".notice"), /Напоминания об ознакомлении сохранены/);
  assert.equal(await page.inputValue("#ack-remind-hours"), "24");
  // And an SMS to whoever has not read a message a quarter of an hour after it.
  assert.match(await page.textContent("#sms-month"), /^0 \/ \d+$/);
  await page.selectOption("#sms-minutes", "15");
  await page.check("#sms-all");
  await Promise.all([page.waitForURL(/done=sms_fallback_saved/), page.click("#sms-save")]);
  assert.match(await page.textContent(".notice"), /SMS для непрочитанных сообщений сохранены/);
  assert.equal(await page.inputValue("#sms-minutes"), "15");
  assert.ok(await page.isChecked("#sms-all"));
  await page.selectOption("#sms-minutes", "0");
  await Promise.all([page.waitForURL(/done=sms_fallback_saved/), page.click("#sms-save")]);
  await page.goto(`${BASE}/cabinet/messages/${order.messageId}`);
  assert.match(await page.textContent("#remind-auto"), /через 24 ч после отправки/);
  // The list's filter finds the one still waiting.
  await page.click("#ack-all");
  await page.waitForURL(/status=awaiting_ack/);
  assert.ok((await titles(page)).includes("Приказ № 12 о графике отпусков"));
  assert.match(await page.textContent("table"), /Зайцев Олег/);
  assert.doesNotMatch(await page.textContent("table"), /Орлова Вера/);
  await page.context().close();
});

test("paste the staff list, admit only the list to the app, and a stranger gets no SMS", async () => {
  const page = await newPage();
  await login(page, partnerA.inn, PASSWORD_A);
  await page.goto(`${BASE}/cabinet/employees`);
  await Promise.all([page.waitForURL(`${BASE}/cabinet/employees/add`), page.click("#to-add")]);
  assert.ok(await page.isVisible("#open-policy"), "anyone may log in yet: the page says so");
  // Two columns copied from Excel, a header and a CSV line among them.
  await page.fill("#add-staff textarea", "ФИО\tТелефон\nОрлова Ольга\t+7 900 111-00-31\nПавлов Павел;89001110032\n");
  await shot(page, "30-staff-add");
  await page.click("#add-submit");
  await page.waitForSelector("#add-result");
  assert.equal(await page.textContent("#n-added"), "2");
  assert.equal(await page.textContent("#n-existing"), "0");
  assert.ok(await page.isVisible("#add-invite"), "the way to invite them to the app");
  // The same from a file, as Excel saves it (here UTF-8 with a BOM).
  await page.goto(`${BASE}/cabinet/employees/add`);
  await page.setInputFiles("#add-file", { name: "staff.csv", mimeType: "text/csv", buffer: Buffer.from("\ufeffФИО;Телефон\r\nОрлова Ольга;+79001110031\r\nСеменов Семён;+79001110033\r\n", "utf8") });
  await page.click("#add-submit");
  await page.waitForSelector("#add-result");
  assert.equal(await page.textContent("#n-added"), "1");
  assert.equal(await page.textContent("#n-existing"), "1");
  // A list with a mistake: refused as a whole, then added without that line when asked to skip.
  await page.goto(`${BASE}/cabinet/employees/add`);
  await page.fill("#add-staff textarea", "Тимофеев Тимур;+79001110034\nОшибкин;12345\n");
  await page.click("#add-submit");
  await page.waitForSelector("#add-error");
  assert.match(await page.textContent("#add-error"), /Строка 2/);
  await page.check("#add-skip");
  await page.click("#add-submit");
  await page.waitForSelector("#add-result");
  assert.equal(await page.textContent("#n-added"), "1");
  assert.equal(await page.textContent("#n-skipped"), "1");
  assert.match(await page.textContent("#add-skipped"), /Строка 2: Неверный номер телефона/);
  assert.equal(await page.inputValue("#add-retry textarea"), "12345;Ошибкин\n");
  await shot(page, "36-staff-add-skipped");
  // The skipped line, corrected where it waits, is added too.
  await page.fill("#add-retry textarea", "+79001110035;Ошибкин\n");
  await page.click("#add-retry-submit");
  await page.waitForSelector("#add-result");
  assert.equal(await page.textContent("#n-added"), "1");
  await page.goto(`${BASE}/cabinet/employees?q=${encodeURIComponent("Орлова")}`);
  const row = page.locator("#employees tbody tr", { hasText: "Орлова Ольга" });
  assert.match(await row.textContent(), /\+79001110031/);
  assert.match(await row.textContent(), /ещё не входил в приложение/);
  // Those without the app are invited to it by SMS, with the company's INN.
  await page.goto(`${BASE}/cabinet/employees/add`);
  await page.fill("#add-staff textarea", "Орлова Ольга;+79001110031\n");
  await page.click("#add-submit");
  await page.waitForSelector("#add-result");
  assert.ok(!(await page.isVisible("#add-invite")), "nobody new: no invitation link");
  await page.goto(`${BASE}/cabinet/employees?push=none`);
  assert.match(await page.textContent("#invite-send"), /Пригласить в приложение по SMS \(\d+\)/);
  page.acceptDialogs = true;
  await Promise.all([page.waitForURL(/done=bulk_invited/), page.click("#invite-send")]);
  page.acceptDialogs = false;
  assert.match(await page.textContent(".notice"), /Приглашения поставлены в очередь, сотрудников: [1-9]/);
  assert.ok(await page.isVisible("#invite-none"));
  // Only the list from now on.
  await page.goto(`${BASE}/cabinet/settings`);
  await page.check("#registration input[value=list]");
  await Promise.all([page.waitForURL(/done=policy_saved/), page.click("form[action='/cabinet/settings/policy'] button[type=submit]")]);
  assert.ok(await page.isChecked("#registration input[value=list]"));
  await shot(page, "31-settings-list-only");
  const stranger = await api("auth", null, { inn: partnerA.inn, staffname: "Посторонний", phone: "+79001110039", device: "android" });
  assert.equal(stranger.status, 403, JSON.stringify(stranger.body));
  assert.match(stranger.body.error, /нет в списке сотрудников/);
  assert.ok(!readFileSync(process.env.E2E_SERVER_LOG, "utf8").includes("+79001110039"), "no SMS to a stranger");
  const listed = await employee(partnerA.inn, "+79001110032", "Павлов П.");
  assert.ok(listed);
  // A new SIM: the admin gives him the new number in the list's edit form; he logs in with it.
  await page.goto(`${BASE}/cabinet/employees?q=${encodeURIComponent("Павлов")}`);
  const pavlov = page.locator(`#employees tr[data-staff-id="${listed}"]`);
  await pavlov.locator("details.rename summary").click();
  await pavlov.locator("input[name=phone]").fill("8 900 111-00-38");
  await shot(page, "32-employee-phone");
  await Promise.all([page.waitForURL(/done=renamed/), pavlov.locator("details.rename button[type=submit]").click()]);
  assert.match(await page.locator(`#employees tr[data-staff-id="${listed}"]`).textContent(), /\+79001110038/);
  assert.equal(await employee(partnerA.inn, "+79001110038", "Павлов П."), listed);
  // Back to the default for whoever comes next.
  await page.goto(`${BASE}/cabinet/settings`);
  await page.check("#registration input[value=open]");
  await Promise.all([page.waitForURL(/done=policy_saved/), page.click("form[action='/cabinet/settings/policy'] button[type=submit]")]);
  await page.goto(`${BASE}/cabinet/journal`);
  assert.match(await page.textContent("main"), /Сотрудники добавлены списком: добавлено: 2/);
  assert.match(await page.textContent("main"), /Вход в приложение только по списку сотрудников/);
  await page.context().close();
});

test("an HR system sends the whole staff in parts; the one not listed is disabled and the page says so", async () => {
  const inn = partnerB.inn;
  const leaving = await api("addstaff", partnerB.token, { inn, staff: [{ phone: "+79001110093", name: "Уходящий Сотрудник" }] });
  assert.equal(leaving.status, 200, JSON.stringify(leaving.body));
  const begun = await api("beginstaffsync", partnerB.token, { inn });
  assert.equal(begun.status, 200, JSON.stringify(begun.body));
  const syncid = begun.body.data.syncid;
  const parts = [
    [{ phone: "+79001110009", name: "Сотрудник Лета" }, { phone: "+79001110091", name: "Новая Первая" }],
    [{ phone: "+79001110092", name: "Новый Второй" }],
  ];
  for (const staff of parts) {
    const r = await api("addstaff", partnerB.token, { inn, syncid, staff });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  const lost = await api("finishstaffsync", partnerB.token, { inn, syncid, count: 4 });
  assert.equal(lost.status, 409, JSON.stringify(lost.body));
  const done = await api("finishstaffsync", partnerB.token, { inn, syncid, count: 3 });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal(done.body.data.disabled, 1);
  const page = await newPage();
  await login(page, inn, PASSWORD_B);
  await page.goto(`${BASE}/cabinet/employees/add`);
  assert.match(await page.textContent("#last-sync"), /в списках: 3, отключено: 1/);
  await shot(page, "35-staff-sync");
  await page.goto(`${BASE}/cabinet/employees?q=${encodeURIComponent("Уходящий")}`);
  assert.match(await page.textContent("#employees tbody"), /отключён/);
  await page.goto(`${BASE}/cabinet/journal`);
  assert.match(await page.textContent("main"), /Штат синхронизирован с выгрузкой: в списках: 3, отключено: 1/);
  await page.context().close();
});

test("the company's account adds an admin of their own, who logs in by login and is named in the journal, then disables them", async () => {
  const owner = await newPage();
  await login(owner, partnerA.inn, PASSWORD_A);
  await owner.goto(`${BASE}/cabinet/settings`);
  await Promise.all([owner.waitForURL(`${BASE}/cabinet/settings/admins`), owner.click("#admins-open")]);
  await owner.fill("#admin-login", "Kadry@Vesna.RU");
  await owner.fill("#admin-name", "Отдел кадров");
  await owner.fill("#admin-password", "kadry-password");
  await Promise.all([owner.waitForURL(/done=admin_added/), owner.click("#admin-add-submit")]);
  assert.match(await owner.textContent("#admins"), /kadry@vesna\.ru/);
  await shot(owner, "41-cabinet-admins");

  const kadry = await newPage();
  await kadry.goto(`${BASE}/cabinet/login`);
  await kadry.fill("input[name=login]", "kadry@vesna.ru");
  await kadry.fill("input[name=password]", "kadry-password");
  await Promise.all([kadry.waitForURL(`${BASE}/cabinet`), kadry.click("button[type=submit]")]);
  assert.match(await kadry.textContent(".inn"), new RegExp(`kadry@vesna\\.ru · ${partnerA.inn}`));
  await kadry.goto(`${BASE}/cabinet/settings`);
  assert.equal(await kadry.textContent("#own-login"), "kadry@vesna.ru");
  assert.equal(await kadry.locator("#admins-open").count(), 0, "the list of admins is not theirs");

  await owner.goto(`${BASE}/cabinet/journal`);
  assert.match(await owner.textContent("#journal"), /Администратор kadry@vesna\.ru/);
  // Filtered to the person: their login only, not the company account's adding them.
  await owner.selectOption("#who", "admin:kadry@vesna.ru");
  await Promise.all([owner.waitForURL(/who=admin%3Akadry%40vesna\.ru/), owner.click("#filters button[type=submit]")]);
  assert.match(await owner.textContent("#journal"), /Вход в кабинет/);
  assert.doesNotMatch(await owner.textContent("#journal"), /Добавлен администратор/);
  await owner.goto(`${BASE}/cabinet/settings/admins`);
  await Promise.all([owner.waitForURL(/done=admin_disabled/), owner.click("tr[data-login='kadry@vesna.ru'] button:has-text('Отключить')")]);
  assert.match(await owner.textContent("#admins"), /отключён/);
  await kadry.goto(`${BASE}/cabinet/messages`);
  assert.equal(new URL(kadry.url()).pathname, "/cabinet/login", "logged out at once");

  // A viewer: the pages without the forms that change something, their own account's kept.
  await owner.fill("#admin-login", "auditor@vesna.ru");
  await owner.fill("#admin-name", "Аудитор");
  await owner.check("#admin-role input[value=viewer]");
  await owner.fill("#admin-password", "auditor-password");
  await Promise.all([owner.waitForURL(/done=admin_added/), owner.click("#admin-add-submit")]);
  const auditor = await newPage(undefined, true);
  await auditor.goto(`${BASE}/cabinet/login`);
  await auditor.fill("input[name=login]", "auditor@vesna.ru");
  await auditor.fill("input[name=password]", "auditor-password");
  await Promise.all([auditor.waitForURL(`${BASE}/cabinet`), auditor.click("button[type=submit]")]);
  await auditor.goto(`${BASE}/cabinet/send`);
  assert.equal(await auditor.isVisible("#read-only"), true, "told it is view only");
  assert.equal(await auditor.isVisible("#send-form"), false, "no send form");
  assert.deepEqual(await accessibilityProblems(auditor), []);
  await shot(auditor, "43-view-only");
  await auditor.goto(`${BASE}/cabinet/settings`);
  assert.equal(await auditor.isVisible("#rotate-token"), false);
  assert.equal(await auditor.isVisible("#password form"), true, "their own password");

  // A sender: the send form and "write to the ticked", and none of the forms that change the
  // employees or the settings.
  await owner.goto(`${BASE}/cabinet/settings/admins`);
  await owner.fill("#admin-login", "dispatch@vesna.ru");
  await owner.fill("#admin-name", "Диспетчер");
  await owner.check("#admin-role input[value=sender]");
  await owner.fill("#admin-password", "dispatch-password");
  await Promise.all([owner.waitForURL(/done=admin_added/), owner.click("#admin-add-submit")]);
  assert.match(await owner.textContent("tr[data-login='dispatch@vesna.ru']"), /отправка сообщений/);
  const dispatch = await newPage(undefined, true);
  await dispatch.goto(`${BASE}/cabinet/login`);
  await dispatch.fill("input[name=login]", "dispatch@vesna.ru");
  await dispatch.fill("input[name=password]", "dispatch-password");
  await Promise.all([dispatch.waitForURL(`${BASE}/cabinet`), dispatch.click("button[type=submit]")]);
  await dispatch.goto(`${BASE}/cabinet/employees`);
  assert.equal(await dispatch.isVisible("#sends-only"), true, "told what the account is for");
  assert.equal(await dispatch.isVisible("#bulk button[value=disabled]"), false, "no disabling");
  assert.equal(await dispatch.isVisible(`tr[data-staff-id="${staff.sidorov}"] details.rename`), false, "no renaming");
  assert.deepEqual(await accessibilityProblems(dispatch), []);
  await dispatch.check(`tr[data-staff-id="${staff.sidorov}"] input[name=id]`);
  await Promise.all([dispatch.waitForURL(/\/cabinet\/send\?staff=/), dispatch.click("#bulk button[value=write]")]);
  assert.equal(await dispatch.isVisible("#send-form"), true);
  await dispatch.fill("input[name=title]", "Смена диспетчера");
  await dispatch.fill("textarea[name=text]", "С 8:00 на складе.");
  await Promise.all([dispatch.waitForLoadState("load"), dispatch.click("#send-submit")]);
  assert.match(await dispatch.textContent("#send-created"), /Создано сообщений: 1/);
  await shot(dispatch, "44-sender");
  await dispatch.goto(`${BASE}/cabinet/settings`);
  assert.equal(await dispatch.isVisible("#rotate-token"), false);
  assert.equal(await dispatch.isVisible("#password form"), true, "their own password");
  await owner.goto(`${BASE}/cabinet/journal`);
  assert.match(await owner.textContent("#journal"), /Администратор dispatch@vesna\.ru/);
  await owner.context().close();
  await kadry.context().close();
  await auditor.context().close();
  await dispatch.context().close();
});

/** axe-core's violations of WCAG 2.1 A and AA on the page as it is, serious and critical ones. */
async function accessibilityProblems(page) {
  await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });
  return found.filter((v) => v.impact === "serious" || v.impact === "critical");
}

test("an outsourced accountant with one login: company B gives access, they accept it, work in B and go back", async () => {
  const ownerA = await newPage();
  await login(ownerA, partnerA.inn, PASSWORD_A);
  await ownerA.goto(`${BASE}/cabinet/settings/admins`);
  await ownerA.fill("#admin-login", "buh@vesna.ru");
  await ownerA.fill("#admin-name", "Бухгалтерия");
  await ownerA.fill("#admin-password", "buh-password-1");
  await Promise.all([ownerA.waitForURL(/done=admin_added/), ownerA.click("#admin-add-submit")]);

  const ownerB = await newPage();
  await login(ownerB, partnerB.inn, PASSWORD_B);
  await ownerB.goto(`${BASE}/cabinet/settings/admins`);
  await ownerB.fill("#guest-login", "buh@vesna.ru");
  await Promise.all([ownerB.waitForURL(/done=access_granted/), ownerB.click("#guest-add-submit")]);
  assert.match(await ownerB.textContent("tr[data-guest='buh@vesna.ru']"), /ждёт согласия/);

  const buh = await newPage(undefined, true);
  await buh.goto(`${BASE}/cabinet/login`);
  await buh.fill("input[name=login]", "buh@vesna.ru");
  await buh.fill("input[name=password]", "buh-password-1");
  await Promise.all([buh.waitForURL(`${BASE}/cabinet`), buh.click("button[type=submit]")]);
  assert.equal(await buh.textContent("#companies-waiting"), "1");
  await Promise.all([buh.waitForURL(`${BASE}/cabinet/access`), buh.click("#companies")]);
  const rowB = `tr[data-inn='${partnerB.inn}']`;
  await Promise.all([buh.waitForURL(/done=access_accepted/), buh.click(`${rowB} button:has-text('Принять доступ')`)]);
  assert.deepEqual(await accessibilityProblems(buh), []);
  await shot(buh, "45-my-companies");
  await Promise.all([buh.waitForURL(/done=entered/), buh.click(`${rowB} button:has-text('Перейти в кабинет')`)]);
  assert.match(await buh.textContent(".inn"), new RegExp(`buh@vesna\\.ru · ${partnerB.inn}`));
  assert.equal(await buh.isVisible("#sends-only"), true, "B gave sending only");
  await buh.goto(`${BASE}/cabinet/messages`);
  assert.match(await buh.textContent("main"), /Секрет Лета/);
  assert.doesNotMatch(await buh.textContent("main"), /Иванов/, "company A's messages stay A's");

  await ownerB.goto(`${BASE}/cabinet/journal`);
  assert.match(await ownerB.textContent("#journal"), /переход из другой организации по доступу/);
  await buh.goto(`${BASE}/cabinet/access`);
  await Promise.all([buh.waitForURL(/done=entered/), buh.click(`tr[data-inn='${partnerA.inn}'] button:has-text('Перейти в кабинет')`)]);
  assert.match(await buh.textContent(".inn"), new RegExp(`buh@vesna\\.ru · ${partnerA.inn}`));
  for (const page of [ownerA, ownerB, buh]) await page.context().close();
});

test("an HR officer's account: employees and messages, the settings only shown", async () => {
  const owner = await newPage();
  await login(owner, partnerA.inn, PASSWORD_A);
  await owner.goto(`${BASE}/cabinet/settings/admins`);
  await owner.fill("#admin-login", "hr@vesna.ru");
  await owner.fill("#admin-name", "Кадровик");
  await owner.check("#admin-role input[value=hr]");
  await owner.fill("#admin-password", "hr-password-1");
  await Promise.all([owner.waitForURL(/done=admin_added/), owner.click("#admin-add-submit")]);
  assert.match(await owner.textContent("tr[data-login='hr@vesna.ru']"), /без настроек/);
  const hr = await newPage(undefined, true);
  await hr.goto(`${BASE}/cabinet/login`);
  await hr.fill("input[name=login]", "hr@vesna.ru");
  await hr.fill("input[name=password]", "hr-password-1");
  await Promise.all([hr.waitForURL(`${BASE}/cabinet`), hr.click("button[type=submit]")]);
  await hr.goto(`${BASE}/cabinet/settings`);
  assert.equal(await hr.isVisible("#no-settings"), true, "told the settings are view only");
  assert.equal(await hr.isVisible("#rotate-token"), false, "no token rotation");
  assert.equal(await hr.isVisible("#password form"), true, "their own password");
  assert.deepEqual(await accessibilityProblems(hr), []);
  await hr.goto(`${BASE}/cabinet/employees`);
  assert.equal(await hr.isVisible("#bulk"), true, "the employee list's forms are theirs");
  await hr.goto(`${BASE}/cabinet/send`);
  assert.equal(await hr.isVisible("#send-form"), true);
  for (const page of [owner, hr]) await page.context().close();
});

test("every page passes axe-core's WCAG 2.1 AA checks, in Russian and English", async () => {
  // The pages' CSP allows no injected script; axe-core is the test's, not the page's.
  const page = await newPage(undefined, true);
  await page.goto(`${BASE}/cabinet/login`);
  const problems = {};
  const check = async (path) => {
    await page.goto(`${BASE}${path}`);
    assert.equal(new URL(page.url()).pathname, path.split("?")[0], `${path} opened`);
    const found = await accessibilityProblems(page);
    if (found.length) problems[path] = found;
  };
  await check("/cabinet/login");
  await login(page, partnerA.inn, PASSWORD_A);
  const { body } = await api("getmessage", tokenA, { inn: partnerA.inn, staffid: staff.ivanov, count: 1 });
  const message = body.data[0].messageId;
  const waiting = await api("schedulemessage", tokenA, {
    inn: partnerA.inn, staffids: [staff.ivanov], title: "Проверка", message: "—", senddate: new Date(Date.now() + 48 * 3600 * 1000).toISOString(),
  });
  assert.equal(waiting.status, 200, JSON.stringify(waiting.body));
  const scheduleid = waiting.body.data.scheduleid;
  for (const path of [
    `/cabinet/scheduled/${scheduleid}/edit`, `/cabinet/journal?staff=${staff.ivanov}`,
    "/cabinet", "/cabinet/employees", "/cabinet/employees/add", "/cabinet/groups", "/cabinet/messages",
    `/cabinet/messages/${message}`, `/cabinet/employees/${staff.ivanov}`, "/cabinet/send", "/cabinet/scheduled", "/cabinet/templates",
    "/cabinet/settings", "/cabinet/settings/2fa", "/cabinet/settings/admins", "/cabinet/webhook", "/cabinet/journal", "/cabinet/docs",
    "/cabinet?lang=en", "/cabinet/messages?lang=en", "/cabinet/docs?lang=en", "/cabinet/messages/999999",
  ]) {
    await check(path);
  }
  assert.equal((await api("cancelschedule", tokenA, { inn: partnerA.inn, scheduleid })).status, 200);
  await page.context().close();
  const ops = await newPage(undefined, true);
  await ops.goto(`${BASE}/operator/login`);
  await ops.fill("input[name=login]", "ops");
  await ops.fill("input[name=password]", "operator-password");
  await Promise.all([ops.waitForURL(`${BASE}/operator`), ops.click("button[type=submit]")]);
  for (const path of ["/operator", "/operator/usage", "/operator/journal", "/operator/journal?lang=en", "/operator/2fa"]) {
    await ops.goto(`${BASE}${path}`);
    const found = await accessibilityProblems(ops);
    if (found.length) problems[path] = found;
  }
  await ops.context().close();
  assert.deepEqual(problems, {}, JSON.stringify(problems, null, 1));
});

/** The code an authenticator app shows for a base32 key, `steps` of 30 s from now (RFC 6238). */
function totp(key, steps = 0) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bits = [...key.replace(/\s+/g, "")].map((c) => alphabet.indexOf(c).toString(2).padStart(5, "0")).join("");
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + steps));
  const h = createHmac("sha1", Buffer.from(bytes)).update(counter).digest();
  const o = h[19] & 15;
  const n = (((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3]) % 1000000;
  return String(n).padStart(6, "0");
}

// Last: company B's login asks for a code from here on.
test("turn on the login code: after the password the cabinet asks for the app's code", async () => {
  const page = await newPage(undefined, true);
  await login(page, partnerB.inn, PASSWORD_B);
  await page.goto(`${BASE}/cabinet/settings`);
  await Promise.all([page.waitForURL(`${BASE}/cabinet/settings/2fa`), page.click("#tfa-open")]);
  assert.equal(await page.locator(".qr svg").count(), 1, "a QR code to scan");
  const key = await page.textContent("#tfa-secret");
  await page.fill("#tfa-off input[name=password]", PASSWORD_B);
  await page.fill("#tfa-off input[name=code]", totp(key, 0));
  await shot(page, "38-login-code-setup");
  await Promise.all([page.waitForURL(/\/cabinet\/settings\/2fa\/on$/), page.click("#tfa-enable")]);
  assert.equal(await page.locator("#tfa-on").count(), 1);
  // Ten recovery codes, shown this once.
  assert.equal(await page.locator("#recovery-codes li").count(), 10);
  await shot(page, "40-recovery-codes");
  await page.goto(`${BASE}/cabinet/settings/2fa`);
  assert.equal(await page.locator("#recovery-codes").count(), 0);
  assert.equal(await page.locator("#tfa-renew").count(), 1, "new codes can be had");
  assert.deepEqual(await accessibilityProblems(page), []);
  await Promise.all([page.waitForURL(`${BASE}/cabinet/login`), page.click("#logout")]);
  // The password alone opens the code's form, not the cabinet.
  await page.fill("input[name=login]", partnerB.inn);
  await page.fill("input[name=password]", PASSWORD_B);
  await Promise.all([page.waitForURL(`${BASE}/cabinet/login/code`), page.click("button[type=submit]")]);
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.fill("input[name=code]", totp(key, 1));
  await shot(page, "39-login-code");
  await Promise.all([page.waitForURL(`${BASE}/cabinet`), page.click("button[type=submit]")]);
  await page.goto(`${BASE}/cabinet/journal`);
  assert.match(await page.textContent("#journal"), /Вход в кабинет: с кодом из приложения/);
  assert.match(await page.textContent("#journal"), /Включён вход с кодом из приложения/);

  // With its own code on, the company requires one of everyone: its new admin sets theirs up
  // at their first login, before the cabinet opens.
  await page.goto(`${BASE}/cabinet/settings/admins`);
  await page.fill("#admin-login", "smena@leto.ru");
  await page.fill("#admin-name", "Старший смены");
  await page.fill("#admin-password", "smena-password");
  await Promise.all([page.waitForURL(/done=admin_added/), page.click("#admin-add-submit")]);
  await Promise.all([page.waitForURL(/done=policy_required/), page.click("#policy-switch")]);
  assert.equal(await page.textContent("#policy-state"), "требуется");
  assert.match(await page.textContent("#admins"), /настроит код при входе/);
  const smena = await newPage(undefined, true);
  await smena.goto(`${BASE}/cabinet/login`);
  await smena.fill("input[name=login]", "smena@leto.ru");
  await smena.fill("input[name=password]", "smena-password");
  await Promise.all([smena.waitForURL(`${BASE}/cabinet/login/setup`), smena.click("button[type=submit]")]);
  assert.equal(await smena.locator(".qr svg").count(), 1, "a QR code to scan");
  assert.deepEqual(await accessibilityProblems(smena), []);
  const smenaKey = await smena.textContent("#tfa-secret");
  await smena.fill("input[name=code]", totp(smenaKey, 0));
  await shot(smena, "42-login-code-required");
  await Promise.all([smena.waitForURL(`${BASE}/cabinet/login/setup`), smena.click("#setup-submit")]);
  assert.equal(await smena.locator("#recovery-codes li").count(), 10);
  await Promise.all([smena.waitForURL(`${BASE}/cabinet`), smena.click("#setup-done")]);
  assert.match(await smena.textContent(".inn"), /smena@leto\.ru/);
  await smena.context().close();
  await page.context().close();
});

test("log out", async () => {
  const page = await newPage();
  await login(page, partnerA.inn, PASSWORD_A);
  await Promise.all([page.waitForURL(`${BASE}/cabinet/login`), page.click("#logout")]);
  await page.goto(`${BASE}/cabinet/messages`);
  assert.equal(new URL(page.url()).pathname, "/cabinet/login");
  await page.context().close();
});
