//! The interface's words in Russian (first) and English: one catalogue, looked up by key.
//! A test checks that every key the templates use is in it.

use crate::phrase::Phrase;
use std::collections::HashMap;
use std::sync::LazyLock;

pub use crate::phrase::Lang;

/// (key, Russian, English)
const CATALOGUE: &[(&str, &str, &str)] = &[
    ("brand.operator", "оператор", "operator"),
    ("top.login", "Логин (ИНН)", "Login (INN)"),
    ("top.logout", "Выйти", "Log out"),
    (
        "footer.tagline",
        "система мобильного оповещения",
        "corporate mobile notifications",
    ),
    ("nav.label", "Разделы", "Sections"),
    ("nav.dashboard", "Главная", "Dashboard"),
    ("nav.employees", "Сотрудники", "Employees"),
    ("nav.messages", "Сообщения", "Messages"),
    ("nav.send", "Отправить", "Send"),
    ("nav.settings", "Настройка", "Settings"),
    ("nav.docs", "Документация", "Documentation"),
    ("nav.journal", "Журнал", "Journal"),
    ("nav.webhook", "Вебхук", "Webhook"),
    (
        "dash.scheduled",
        "запланировано, ближайшее —",
        "scheduled, the next at",
    ),
    (
        "sched.title",
        "Запланированные сообщения",
        "Scheduled messages",
    ),
    (
        "sched.hint",
        "Сообщения, которые будут отправлены в указанное время. Получатели определяются в момент отправки: отключённые к тому времени сотрудники сообщение не получат, а «всем» — это всем, кто активен тогда.",
        "Messages to be sent at the time set. Recipients are decided at that time: employees disabled by then get nothing, and \"everyone\" means everyone active then.",
    ),
    ("sched.new", "Запланировать сообщение", "Schedule a message"),
    ("sched.pending", "Ожидают отправки", "Waiting"),
    (
        "sched.none",
        "Запланированных сообщений нет.",
        "Nothing is scheduled.",
    ),
    (
        "sched.done",
        "Отправленные и отменённые",
        "Sent and cancelled",
    ),
    ("sched.at", "Время отправки", "Send at"),
    ("sched.message", "Сообщение", "Message"),
    ("sched.recipients", "Получатели", "Recipients"),
    ("sched.source", "Запланировал", "Scheduled by"),
    ("sched.state", "Состояние", "State"),
    ("sched.result", "Итог", "Result"),
    (
        "sched.to_all",
        "все активные сотрудники",
        "all active employees",
    ),
    ("sched.to_listed", "сотрудников", "employees"),
    ("sched.state_pending", "Ожидает", "Waiting"),
    ("sched.state_sent", "Отправлено", "Sent"),
    ("sched.state_cancelled", "Отменено", "Cancelled"),
    ("sched.created", "создано сообщений", "messages created"),
    ("sched.refused", "не отправлено", "not sent"),
    ("sched.messages", "список", "list"),
    ("sched.cancel", "Отменить", "Cancel"),
    ("sched.edit", "Изменить", "Change"),
    ("sched.repeat", "Повтор", "Repeats"),
    (
        "sched.edit_title",
        "Изменить запланированную отправку",
        "Change a scheduled send",
    ),
    (
        "sched.edit_series",
        "Следующие отправки серии пойдут в новое время, с новым текстом и новым получателям",
        "The series' next sends go at the new time, with the new words, to the new recipients",
    ),
    ("sched.edit_keep", "Как сейчас", "As now"),
    (
        "sched.edit_list",
        "Сотрудникам по телефону или ID",
        "Employees by phone or ID",
    ),
    ("sched.edit_no_group", "Выберите группу", "Choose a group"),
    (
        "sched.edit_unknown",
        "Ничего не изменено: нет таких сотрудников",
        "Nothing was changed: no such employees",
    ),
    (
        "sched.cancel_confirm",
        "Отменить эту отправку? Сообщения не будут созданы.",
        "Cancel this send? No messages will be created.",
    ),
    (
        "done.sched_cancelled",
        "Отправка отменена.",
        "The send is cancelled.",
    ),
    (
        "done.sched_changed",
        "Запланированная отправка изменена.",
        "The scheduled send is changed.",
    ),
    (
        "done.sched_messages_gone",
        "Сообщений этой отправки больше нет: их сотрудники удалены.",
        "This send's messages are gone: their employees were deleted.",
    ),
    (
        "done.sched_too_late",
        "Отменить нельзя: отправка уже выполнена или отменена.",
        "Too late to cancel: the send has already been done or cancelled.",
    ),
    ("send.repeat", "Повторять", "Repeat"),
    (
        "send.repeat_until",
        "до (включительно; пусто — пока не отмените)",
        "until (inclusive; empty: until cancelled)",
    ),
    ("sched.until", "до", "until"),
    ("repeat.none", "не повторять", "do not repeat"),
    ("repeat.daily", "каждый день", "every day"),
    ("repeat.weekdays", "по будням", "on weekdays"),
    ("repeat.weekly", "каждую неделю", "every week"),
    ("repeat.monthly", "каждый месяц", "every month"),
    (
        "send.repeat_later",
        "Повторять можно только запланированную отправку: выберите «Запланировать на»",
        "Only a scheduled send repeats: choose \"Schedule for\"",
    ),
    ("grp.title", "Группы сотрудников", "Employee groups"),
    ("emp.groups", "Группы", "Groups"),
    (
        "grp.hint",
        "Отдел, смена, площадка: сообщение группе получают её участники, активные в момент отправки. Участников добавляют в списке сотрудников: отметьте их и нажмите «В группу».",
        "A department, a shift, a site: a message to a group goes to its members active at the time of sending. Add members in the employee list: tick them and press \"Add to group\".",
    ),
    ("grp.none", "Групп пока нет.", "No groups yet."),
    ("grp.name", "Название группы", "Group name"),
    (
        "grp.name_hint",
        "например, Склад или Смена А",
        "e.g. Warehouse or Shift A",
    ),
    ("grp.members", "Участников", "Members"),
    ("grp.active", "активных", "active"),
    ("grp.write", "Написать", "Write"),
    ("grp.see_members", "Участники", "Members"),
    ("grp.rename", "Переименовать", "Rename"),
    ("grp.new", "Новая группа", "New group"),
    (
        "grp.delete_confirm",
        "Удалить группу (сотрудники останутся)",
        "Delete the group (its employees stay)",
    ),
    (
        "grp.name_missing",
        "Укажите название группы",
        "Enter the group's name",
    ),
    (
        "grp.name_taken",
        "Такая группа уже есть",
        "There already is a group named",
    ),
    (
        "grp.in_use",
        "Группе запланированы отправки: отмените их на странице «Запланированные сообщения» или дождитесь, затем удалите группу",
        "Sends are scheduled to this group: cancel them on the \"Scheduled messages\" page or wait for them, then delete the group",
    ),
    (
        "grp.name_long",
        "Слишком длинное название группы",
        "The group's name is too long",
    ),
    ("grp.all", "Все группы", "All groups"),
    ("grp.filter", "Группа", "Group"),
    ("grp.add", "В группу", "Add to group"),
    ("grp.remove", "Убрать из группы", "Remove from group"),
    ("grp.manage", "Группы", "Groups"),
    ("grp.pick", "выберите группу", "choose a group"),
    ("send.group", "Группе", "To a group"),
    ("send.group_none", "— не группе —", "— not a group —"),
    ("send.group_active", "активных", "active"),
    (
        "send.one_way",
        "Выберите получателей одним способом: отмеченных сотрудников, группу или всех",
        "Choose the recipients one way: ticked employees, a group or everyone",
    ),
    ("sched.to_group", "группа", "group"),
    (
        "done.group_saved",
        "Группа сохранена.",
        "The group is saved.",
    ),
    (
        "done.group_deleted",
        "Группа удалена; её сотрудники остались.",
        "The group is deleted; its employees stay.",
    ),
    (
        "done.bulk_recalled",
        "Отозвано сообщений",
        "Messages recalled",
    ),
    (
        "done.bulk_resent",
        "Поставлено в очередь на отправку повторно",
        "Queued to be pushed again",
    ),
    (
        "done.bulk_invited",
        "Приглашения поставлены в очередь, сотрудников",
        "Invitations queued, employees",
    ),
    (
        "done.bulk_reminded",
        "Напоминание поставлено в очередь, сотрудников",
        "Reminders queued, employees",
    ),
    (
        "done.bulk_group_added",
        "Добавлено в группу",
        "Added to the group",
    ),
    (
        "done.bulk_group_removed",
        "Убрано из группы",
        "Removed from the group",
    ),
    ("done.group_none", "Выберите группу.", "Choose a group."),
    ("audit.group_saved", "Группа сохранена", "Group saved"),
    ("audit.group_deleted", "Группа удалена", "Group deleted"),
    (
        "audit.group_members_added",
        "Сотрудники добавлены в группу",
        "Employees added to a group",
    ),
    (
        "audit.group_members_removed",
        "Сотрудники убраны из группы",
        "Employees removed from a group",
    ),
    ("tpl.title", "Шаблоны сообщений", "Message templates"),
    (
        "tpl.hint",
        "Заголовок и текст, которые вы отправляете часто: выберите шаблон в форме отправки, и они подставятся.",
        "A title and a text you send often: pick the template on the send form and they are filled in.",
    ),
    ("tpl.none", "Шаблонов пока нет.", "No templates yet."),
    ("tpl.name", "Название шаблона", "Template name"),
    ("tpl.updated", "Изменён", "Changed"),
    ("tpl.use", "Использовать", "Use"),
    ("tpl.edit", "Изменить", "Edit"),
    ("tpl.delete", "Удалить", "Delete"),
    (
        "tpl.delete_confirm",
        "Удалить шаблон",
        "Delete the template",
    ),
    ("tpl.new", "Новый шаблон", "New template"),
    ("tpl.edit_title", "Изменить шаблон", "Edit the template"),
    (
        "tpl.name_missing",
        "Укажите название шаблона",
        "Enter the template's name",
    ),
    (
        "tpl.name_long",
        "Слишком длинное название шаблона",
        "The template's name is too long",
    ),
    (
        "tpl.too_many",
        "Больше шаблонов сохранить нельзя: удалите ненужные",
        "No more templates can be kept: delete some",
    ),
    (
        "done.template_saved",
        "Шаблон сохранён.",
        "The template is saved.",
    ),
    (
        "done.template_deleted",
        "Шаблон удалён.",
        "The template is deleted.",
    ),
    ("send.template", "Шаблон", "Template"),
    ("send.template_apply", "Подставить", "Fill in"),
    ("send.templates", "Шаблоны", "Templates"),
    ("audit.template_saved", "Шаблон сохранён", "Template saved"),
    (
        "audit.template_deleted",
        "Шаблон удалён",
        "Template deleted",
    ),
    ("send.when", "Когда", "When"),
    ("send.when_now", "Сейчас", "Now"),
    ("send.when_later", "Запланировать на", "Schedule for"),
    ("send.when_zone", "Часовой пояс:", "Time zone:"),
    ("send.schedule_submit", "Запланировать", "Schedule"),
    (
        "send.when_invalid",
        "Укажите дату и время отправки",
        "Enter the date and time to send at",
    ),
    (
        "send.when_past",
        "Это время уже прошло: укажите время в будущем",
        "That time has passed: enter a time in the future",
    ),
    (
        "send.scheduled_for",
        "Сообщение запланировано на",
        "Message scheduled for",
    ),
    (
        "send.see_scheduled",
        "Запланированные сообщения",
        "Scheduled messages",
    ),
    ("nav.usage", "Использование", "Usage"),
    ("usage.title", "Использование", "Usage"),
    (
        "usage.hint",
        "Сообщения, созданные за месяц (по времени сервера), по их нынешнему статусу: «доставлено» — доставлены и ещё не прочитаны. Сотрудники: в рассылке / всего.",
        "Messages created in the month (server time), by their status now: \"delivered\" are delivered and not yet read. Employees: active / all.",
    ),
    ("usage.prev", "Предыдущий месяц", "Previous month"),
    ("usage.next", "Следующий месяц", "Next month"),
    ("usage.month", "Месяц", "Month"),
    ("usage.messages", "Сообщений", "Messages"),
    (
        "usage.delivered",
        "Доставлено, не прочитано",
        "Delivered, unread",
    ),
    ("usage.read", "Прочитано", "Read"),
    ("usage.failed", "Ошибка доставки", "Failed"),
    ("usage.no_device", "Нет устройства", "No device"),
    ("usage.sms", "SMS", "SMS"),
    ("usage.staff", "Сотрудники", "Employees"),
    ("usage.th_delivered", "Доставлено", "Delivered"),
    ("usage.th_failed", "Ошибки", "Failed"),
    (
        "usage.staff_active",
        "Сотрудников в рассылке",
        "Active employees",
    ),
    ("usage.staff_total", "Сотрудников всего", "All employees"),
    ("usage.total", "Всего", "Total"),
    ("audit.title", "Журнал действий", "Journal"),
    ("audit.kind", "Что", "What"),
    ("audit.kind.access", "Входы и выходы", "Logins and logouts"),
    (
        "audit.kind.security",
        "Токен, пароль, регистрация",
        "Token, password, registration",
    ),
    ("audit.kind.staff", "Сотрудники", "Employees"),
    (
        "audit.kind.sent",
        "Отправка из кабинета",
        "Sent from the cabinet",
    ),
    ("audit.kind.webhook", "Вебхук", "Webhook"),
    (
        "audit.kind.operator",
        "Действия оператора",
        "The operator's actions",
    ),
    ("audit.detail", "Подробности", "Details"),
    (
        "audit.keep",
        "Записи хранятся, дней",
        "Entries are kept, days",
    ),
    (
        "audit.none_found",
        "Таких записей нет.",
        "No entries of this kind.",
    ),
    ("audit.webhook_on", "Вебхук включён", "Webhook turned on"),
    (
        "audit.webhook_moved",
        "Адрес вебхука изменён",
        "Webhook address changed",
    ),
    (
        "audit.webhook_secret",
        "Новый секрет подписи вебхука",
        "New webhook signing secret",
    ),
    ("audit.webhook_off", "Вебхук отключён", "Webhook turned off"),
    (
        "audit.webhook_staff_on",
        "Вебхук сообщает о сотрудниках",
        "Webhook sends employee events",
    ),
    (
        "audit.webhook_staff_off",
        "Вебхук больше не сообщает о сотрудниках",
        "Webhook stopped sending employee events",
    ),
    ("webhook.staff", "События сотрудников", "Employee events"),
    (
        "webhook.staff_hint",
        "Вебхук может сообщать и о сотрудниках: кого компания добавила списком (added), кто впервые вошёл в приложение (registered), у кого изменились ФИО, телефон или рассылка включена, отключена или подтверждена (changed), кто удалён (deleted) — с его staffid, ФИО и телефоном, в поле staff. Так учётная система сразу узнаёт, кому можно писать, без опроса getstaff.",
        "The webhook can also tell of employees: whom the company added from a list (added), who logged in to the app for the first time (registered), whose name or phone changed or whose mailing was turned on, off or approved (changed), who was deleted (deleted), with their staffid, name and phone, in the staff field. Your system then knows at once whom it can write to, without polling getstaff.",
    ),
    ("webhook.staff_on_state", "Сообщаются", "Sent"),
    ("webhook.staff_off_state", "Не сообщаются", "Not sent"),
    (
        "webhook.staff_on",
        "Сообщать о сотрудниках",
        "Send employee events",
    ),
    (
        "webhook.staff_off",
        "Не сообщать о сотрудниках",
        "Stop employee events",
    ),
    (
        "webhook.title",
        "Вебхук: статусы сообщений",
        "Webhook: message statuses",
    ),
    (
        "webhook.hint",
        "Сервер сам сообщит вашей системе о каждом новом статусе сообщения (отправлено, доставлено, прочитано, ознакомлен, ошибка, нет устройства): POST с JSON на ваш адрес, подписанный секретом. Опрашивать getmessagestatus больше не нужно.",
        "The server tells your system of every new status of a message (sent, delivered, read, acknowledged, failed, no device): a POST with JSON to your address, signed with a secret. No need to poll getmessagestatus.",
    ),
    ("webhook.url", "Адрес (URL)", "Address (URL)"),
    ("webhook.save", "Сохранить и включить", "Save and turn on"),
    ("webhook.state", "Состояние", "State"),
    (
        "webhook.off_state",
        "Вебхук выключен.",
        "The webhook is off.",
    ),
    ("webhook.on_state", "Включён", "On"),
    ("webhook.secret", "Секрет подписи", "Signing secret"),
    (
        "webhook.secret_hint",
        "Заголовок X-Simo-Signature: sha256= и HMAC-SHA256 от «X-Simo-Timestamp.тело запроса» с этим секретом. Проверяйте подпись и время, прежде чем верить запросу.",
        "Header X-Simo-Signature: sha256= and the HMAC-SHA256 of \"X-Simo-Timestamp.request body\" with this secret. Check the signature and the time before trusting a request.",
    ),
    ("webhook.rotate", "Новый секрет", "New secret"),
    (
        "webhook.rotate_confirm",
        "Запросы будут подписываться новым секретом сразу. Продолжить?",
        "Requests are signed with the new secret at once. Continue?",
    ),
    ("webhook.test", "Проверить", "Send a test"),
    ("webhook.off", "Выключить", "Turn off"),
    (
        "webhook.off_confirm",
        "Выключить вебхук? Неотправленные события будут удалены.",
        "Turn the webhook off? Events not sent yet are deleted.",
    ),
    ("webhook.pending", "Ждут отправки", "Waiting"),
    (
        "webhook.last_success",
        "Последняя доставка",
        "Last delivery",
    ),
    ("webhook.last_error", "Последняя ошибка", "Last error"),
    (
        "webhook.failures",
        "Неудачных попыток подряд",
        "Failed tries in a row",
    ),
    ("webhook.next_attempt", "Следующая попытка", "Next try"),
    (
        "webhook.dropped",
        "Удалено неотправленными (старше срока хранения)",
        "Dropped unsent (older than the keep time)",
    ),
    ("webhook.never", "ещё не было", "none yet"),
    (
        "dash.webhook_failing",
        "Вебхук не принимает события",
        "The webhook does not accept events",
    ),
    ("dash.webhook_open", "Открыть вебхук", "Open the webhook"),
    (
        "dash.throttled",
        "Ваша система вызывает API чаще, чем разрешено ({} в секунду): лишние вызовы отклоняются с ошибкой 429 и ничего не делают. С {} отклонено: {}, последний раз {}. Проверьте интеграцию (1С): пусть она повторяет вызов после паузы из Retry-After, а многим сотрудникам пишет одним вызовом.",
        "Your system calls the API more often than allowed ({} a second): the calls above it are refused with a 429 and do nothing. Since {} refused: {}, the last at {}. Check the integration (1C): it should retry after the pause Retry-After gives, and write to many employees in one call.",
    ),
    ("dash.throttled_docs", "Как исправить", "How to fix it"),
    ("dash.key", "Ключ API", "The API key"),
    ("dash.key_ends", "работает по", "works through"),
    (
        "dash.key_ends_what",
        ": после этого дня вызовы с ним будут отклонены. Продлите срок или выпустите системе новый ключ.",
        ": after that day its calls will be refused. Move its last day or issue the system a new key.",
    ),
    (
        "dash.key_ended",
        "перестал работать после",
        "stopped working after",
    ),
    (
        "dash.key_ended_what",
        "вызовы с ним отклоняются (401). Выпустите системе новый ключ.",
        "its calls are refused (401). Issue the system a new key.",
    ),
    ("dash.key_settings", "Ключи API", "API keys"),
    ("webhook.attempts", "Последние попытки", "Latest attempts"),
    ("webhook.events", "Событий", "Events"),
    ("webhook.result", "Результат", "Result"),
    ("webhook.test_attempt", "проверка", "test"),
    (
        "webhook.test_ok",
        "Проверочный запрос принят",
        "The test request was accepted",
    ),
    (
        "webhook.test_failed",
        "Проверочный запрос не принят",
        "The test request was not accepted",
    ),
    (
        "webhook.docs",
        "Формат запросов и проверка подписи",
        "Request format and signature check",
    ),
    (
        "webhook.err.invalid",
        "Не удалось разобрать адрес. Пример: https://erp.example.ru/simo/webhook",
        "The address cannot be read. Example: https://erp.example.ru/simo/webhook",
    ),
    (
        "webhook.err.scheme",
        "Адрес должен начинаться с https:// (или http://).",
        "The address must start with https:// (or http://).",
    ),
    (
        "webhook.err.credentials",
        "Уберите логин и пароль из адреса: запросы подписываются секретом.",
        "Remove the user name and password from the address: requests are signed with the secret.",
    ),
    (
        "webhook.err.private",
        "Адрес ведёт во внутреннюю сеть или на этот сервер; нужен адрес, доступный из интернета.",
        "The address leads into a private network or to this server; use an address reachable from the internet.",
    ),
    (
        "done.webhook_on",
        "Вебхук включён. Нажмите «Проверить», чтобы отправить проверочный запрос.",
        "The webhook is on. Press \"Send a test\" to send a test request.",
    ),
    (
        "done.webhook_saved",
        "Адрес сохранён",
        "The address is saved",
    ),
    (
        "done.webhook_secret",
        "Секрет подписи заменён",
        "The signing secret is replaced",
    ),
    ("done.webhook_off", "Вебхук выключен", "The webhook is off"),
    (
        "done.webhook_staff_on",
        "Вебхук сообщает о сотрудниках",
        "The webhook sends employee events",
    ),
    (
        "done.webhook_staff_off",
        "Вебхук больше не сообщает о сотрудниках",
        "The webhook no longer sends employee events",
    ),
    (
        "audit.hint",
        "Кто и когда менял настройки, сотрудников и доступ организации, с какого адреса",
        "Who changed the settings, the employees and the access of the organisation, when, and from which address",
    ),
    ("audit.empty", "Записей пока нет.", "No entries yet."),
    ("audit.at", "Когда", "When"),
    ("audit.who", "Кто", "Who"),
    ("audit.what", "Что сделано", "What"),
    ("audit.ip", "Адрес", "Address"),
    ("audit.older", "Раньше", "Older"),
    ("audit.newest", "К последним", "Newest"),
    ("audit.admin", "Администратор", "Admin"),
    (
        "audit.admin_main",
        "Администратор (вход по ИНН)",
        "Admin (the INN login)",
    ),
    ("audit.operator", "Оператор", "Operator"),
    ("audit.api", "АСУ (API)", "Integration (API)"),
    ("audit.api_key", "АСУ (API), ключ", "Integration (API), key"),
    (
        "audit.server",
        "Сервер (автоматически)",
        "Server (automatic)",
    ),
    (
        "audit.cli",
        "Командная строка сервера",
        "Server command line",
    ),
    ("audit.visitor", "Посетитель", "Visitor"),
    ("audit.employee", "Сотрудник (приложение)", "Employee (app)"),
    ("audit.login", "Вход в кабинет", "Logged in"),
    (
        "audit.login_failed",
        "Неудачный вход (неверный пароль)",
        "Failed login (wrong password)",
    ),
    ("audit.logout", "Выход из кабинета", "Logged out"),
    (
        "audit.token_rotated",
        "Токен API заменён, прежний отключён сразу",
        "API token replaced, the old one stopped at once",
    ),
    (
        "audit.token_rotated_grace",
        "Токен API заменён, прежний действует до",
        "API token replaced, the old one works until",
    ),
    ("audit.api_key_added", "Добавлен ключ API", "API key added"),
    (
        "audit.api_key_refused",
        "Отказ: ключ API вызван с чужого адреса",
        "Refused: an API key called from an address it does not accept",
    ),
    (
        "audit.api_key_addresses",
        "Изменены адреса ключа API",
        "API key's addresses changed",
    ),
    (
        "audit.api_key_access",
        "Изменён доступ ключа API",
        "API key's access changed",
    ),
    (
        "audit.api_key_end",
        "Изменён срок работы ключа API",
        "API key's end date changed",
    ),
    (
        "audit.rights_refused",
        "Отказано: у учётной записи нет права на это действие",
        "Refused: the account has no right to do this",
    ),
    (
        "audit.api_key_old_ended",
        "Прежний токен ключа API отключён до конца переходного периода",
        "API key's old token ended before its grace period was over",
    ),
    (
        "audit.api_key_revoked",
        "Ключ API отозван, его токен отключён сразу",
        "API key revoked, its token stopped at once",
    ),
    (
        "audit.password_changed",
        "Пароль кабинета изменён",
        "Cabinet password changed",
    ),
    (
        "audit.other_sessions_ended",
        "Завершены сеансы на других устройствах",
        "Sessions on other devices ended",
    ),
    ("settings.sessions", "Сеансы", "Sessions"),
    (
        "settings.sessions_open",
        "Открыто сеансов кабинета (этот браузер и другие устройства)",
        "Cabinet sessions open (this browser and other devices)",
    ),
    (
        "settings.sessions_hint",
        "Забыли выйти на чужом компьютере? Завершите остальные сеансы: этот браузер останется в кабинете.",
        "Forgot to log out on another computer? End the other sessions: this browser stays logged in.",
    ),
    (
        "settings.sessions_end",
        "Завершить другие сеансы",
        "End the other sessions",
    ),
    (
        "done.sessions_ended",
        "Сеансы на других устройствах завершены",
        "The sessions on other devices are ended",
    ),
    (
        "audit.second_factor_on",
        "Включён вход с кодом из приложения",
        "Login with a code from the app turned on",
    ),
    (
        "audit.second_factor_off",
        "Вход с кодом из приложения отключён",
        "Login with a code from the app turned off",
    ),
    ("nav.security", "Безопасность", "Security"),
    ("code.title", "Код подтверждения", "Confirmation code"),
    (
        "code.hint",
        "Пароль верный. Введите шестизначный код, который сейчас показывает приложение-аутентификатор на вашем телефоне, или один из кодов восстановления.",
        "The password is right. Type the six-digit code your phone's authenticator app shows now, or one of your recovery codes.",
    ),
    ("code.label", "Код из приложения", "Code from the app"),
    (
        "code.lost",
        "Нет ни телефона, ни кодов восстановления? Попросите оператора сервиса сбросить пароль организации, а если вы входите по своему логину — главного администратора организации задать вам новый пароль: вход по коду отключится.",
        "Neither the phone nor a recovery code? Ask the service operator to reset the company's password or, if you log in with a login of your own, the company's main admin to give you a new one: the login code is turned off with it.",
    ),
    (
        "code.lost_operator",
        "Нет ни телефона, ни кодов восстановления? Администратор сервера сбросит пароль командой simo-backend operator set-password: вход по коду отключится.",
        "Neither the phone nor a recovery code? The server's administrator resets the password with simo-backend operator set-password: the login code is turned off with it.",
    ),
    (
        "tfa.title",
        "Вход с кодом из приложения",
        "Login with a code from an app",
    ),
    (
        "tfa.hint",
        "После пароля кабинет спрашивает шестизначный код из приложения-аутентификатора (Яндекс Ключ, Google Authenticator, Microsoft Authenticator, менеджер паролей): украденного пароля для входа мало.",
        "After the password, the login asks for a six-digit code from an authenticator app (Yandex Key, Google Authenticator, Microsoft Authenticator, a password manager): a stolen password is not enough to log in.",
    ),
    (
        "add.kept_by_name",
        "сотрудник с этим именем не отключён, ID",
        "the employee of this name is not disabled, ID",
    ),
    ("tfa.recovery", "Коды восстановления", "Recovery codes"),
    (
        "audit.recovery_codes_renewed",
        "Выданы новые коды восстановления",
        "New recovery codes issued",
    ),
    (
        "tfa.renew",
        "Новые коды восстановления",
        "New recovery codes",
    ),
    (
        "tfa.renew_hint",
        "Старые коды перестанут действовать. Введите пароль и код из приложения (или один из старых кодов восстановления).",
        "The old codes stop working. Type the password and a code from the app (or one of the old recovery codes).",
    ),
    (
        "done.tfa_recovery",
        "Выданы новые коды восстановления, старые больше не действуют",
        "New recovery codes are issued; the old ones no longer work",
    ),
    (
        "tfa.recovery_once",
        "Сохраните их сейчас: они показываются один раз.",
        "Save them now: they are shown this once.",
    ),
    (
        "tfa.recovery_hint",
        "Каждый код открывает вход один раз вместо кода из приложения — на случай, если телефон потерян. Храните их отдельно от пароля (распечатайте или сохраните в менеджере паролей). Новые коды можно получить ниже: старые тогда перестанут действовать.",
        "Each code opens the login once in place of the app's code, for when the phone is lost. Keep them apart from the password (print them, or keep them in a password manager). New codes can be had below: the old ones then stop working.",
    ),
    ("tfa.is_on", "включён", "on"),
    ("tfa.is_off", "выключен", "off"),
    ("tfa.since", "с", "since"),
    ("tfa.enable", "Включить", "Turn on"),
    ("tfa.manage", "Настроить", "Manage"),
    ("tfa.disable", "Отключить", "Turn off"),
    (
        "tfa.off_hint",
        "Чтобы отключить, введите пароль и код из приложения (или код восстановления).",
        "To turn it off, type the password and a code from the app (or a recovery code).",
    ),
    (
        "tfa.step_app",
        "Установите на телефон приложение-аутентификатор, если его нет.",
        "Install an authenticator app on your phone if you have none.",
    ),
    (
        "tfa.step_scan",
        "Добавьте в нём учётную запись: отсканируйте QR-код или введите ключ вручную.",
        "Add an account in it: scan the QR code or type the key by hand.",
    ),
    (
        "tfa.qr_label",
        "QR-код для приложения-аутентификатора",
        "QR code for the authenticator app",
    ),
    ("tfa.by_hand", "Ключ", "Key"),
    (
        "tfa.step_code",
        "Введите пароль и код, который показывает приложение.",
        "Type the password and the code the app shows.",
    ),
    (
        "tfa.wrong_code",
        "Код неверный или уже использован: введите код, который приложение показывает сейчас",
        "Wrong code, or one already used: type the code the app shows now",
    ),
    (
        "done.tfa_on",
        "Вход с кодом из приложения включён: при следующем входе кабинет спросит код",
        "Login with a code from the app is on: the next login asks for a code",
    ),
    (
        "done.tfa_off",
        "Вход с кодом из приложения отключён",
        "Login with a code from the app is off",
    ),
    (
        "done.tfa_unchanged",
        "Ничего не изменилось",
        "Nothing changed",
    ),
    (
        "audit.approval_on",
        "Новые сотрудники ждут подтверждения",
        "New employees await approval",
    ),
    (
        "audit.approval_off",
        "Новые сотрудники включаются сразу",
        "New employees are active at once",
    ),
    (
        "audit.auto_reminders_changed",
        "Автоматические напоминания об ознакомлении",
        "Automatic reminders to acknowledge",
    ),
    (
        "audit.sms_fallback_changed",
        "SMS, если сообщение не прочитано",
        "SMS when a message is not read",
    ),
    (
        "audit.retention_changed",
        "Срок хранения сообщений",
        "Message retention",
    ),
    (
        "audit.staff_approved",
        "Сотрудник подтверждён",
        "Employee approved",
    ),
    (
        "audit.staff_enabled",
        "Сотрудник включён в рассылку",
        "Employee enabled",
    ),
    (
        "audit.staff_disabled",
        "Сотрудник отключён от рассылки",
        "Employee disabled",
    ),
    ("audit.staff_renamed", "ФИО изменено", "Name changed"),
    (
        "audit.staff_deleted",
        "Сотрудник удалён со всеми сообщениями",
        "Employee deleted with their messages",
    ),
    (
        "audit.staff_phone_changed",
        "Изменён телефон сотрудника",
        "Employee's phone changed",
    ),
    (
        "audit.staff_added",
        "Сотрудники добавлены списком",
        "Employees added from a list",
    ),
    (
        "audit.list_only_on",
        "Вход в приложение только по списку сотрудников",
        "Only the staff list may log in to the app",
    ),
    (
        "audit.list_only_off",
        "Вход в приложение не только по списку сотрудников",
        "Not only the staff list may log in to the app",
    ),
    (
        "audit.staff_bulk_enabled",
        "Включено в рассылку списком",
        "Enabled from the list",
    ),
    (
        "audit.staff_bulk_disabled",
        "Отключено от рассылки списком",
        "Disabled from the list",
    ),
    (
        "audit.staff_synced",
        "Штат синхронизирован с выгрузкой",
        "Staff synchronized with the export",
    ),
    (
        "audit.sent",
        "Отправлено из кабинета",
        "Sent from the cabinet",
    ),
    (
        "audit.scheduled",
        "Сообщение запланировано",
        "Message scheduled",
    ),
    (
        "audit.messages_recalled",
        "Сообщения отозваны",
        "Messages recalled",
    ),
    (
        "audit.messages_resent",
        "Сообщения отправлены повторно",
        "Messages pushed again",
    ),
    (
        "audit.messages_reminded",
        "Напоминание об ознакомлении",
        "Reminder to acknowledge",
    ),
    (
        "audit.staff_invited",
        "Приглашения в приложение по SMS запрошены",
        "Invitations to the app by SMS asked for",
    ),
    (
        "audit.staff_invites_sent",
        "Приглашения в приложение отправлены по SMS",
        "Invitations to the app sent by SMS",
    ),
    (
        "audit.messages_sms",
        "Непрочитанные сообщения отправлены по SMS",
        "Unread messages sent by SMS",
    ),
    (
        "audit.sms_limit_reached",
        "Лимит SMS на месяц исчерпан",
        "The month's SMS limit is reached",
    ),
    (
        "audit.schedule_cancelled",
        "Запланированная отправка отменена",
        "Scheduled send cancelled",
    ),
    (
        "audit.schedule_changed",
        "Запланированная отправка изменена",
        "Scheduled send changed",
    ),
    (
        "audit.partner_created",
        "Организация создана",
        "Organisation created",
    ),
    (
        "audit.partner_disabled",
        "Доступ организации отключён",
        "Organisation's access disabled",
    ),
    (
        "audit.partner_enabled",
        "Доступ организации восстановлен",
        "Organisation's access restored",
    ),
    (
        "audit.partner_renamed",
        "Оператор изменил название организации",
        "The operator changed the organisation's name",
    ),
    (
        "audit.partner_rate_set",
        "Оператор изменил лимит вызовов API в секунду (— — как у сервера)",
        "The operator changed the limit of API calls a second (— is the server's)",
    ),
    (
        "audit.partner_sms_limit_set",
        "Оператор изменил лимит SMS в месяц (— — как у сервера)",
        "The operator changed the limit of SMS a month (— is the server's)",
    ),
    (
        "audit.password_reset",
        "Пароль кабинета сброшен",
        "Cabinet password reset",
    ),
    (
        "audit.partner_erased",
        "Организация удалена со всеми её данными",
        "Organisation deleted with all its data",
    ),
    (
        "audit.operator_created",
        "Создана учётная запись оператора",
        "Operator account created",
    ),
    (
        "audit.operator_password",
        "Пароль оператора изменён",
        "Operator password changed",
    ),
    (
        "audit.secret_key_rotated",
        "Ключ шифрования секретов сменён",
        "Key sealing the secrets changed",
    ),
    ("opj.title", "Журнал оператора", "Operator journal"),
    (
        "opj.hint",
        "Что операторы и командная строка сервера делали с организациями и учётными записями операторов, когда и с какого адреса. Записи об удалённой организации остаются здесь.",
        "What the operators and the server's command line did to organisations and operator accounts, when, and from which address. The entries about a deleted organisation stay here.",
    ),
    ("opj.company", "Организация", "Organisation"),
    ("opj.inn", "ИНН организации", "Organisation's INN"),
    (
        "opj.none_found",
        "Записей об организации с этим ИНН нет.",
        "No entries about an organisation with this INN.",
    ),
    (
        "opj.bad_inn",
        "ИНН — 10 или 12 цифр; показаны все записи.",
        "An INN is 10 or 12 digits; all entries are shown.",
    ),
    ("nav.partners", "Партнёры", "Partners"),
    ("common.save", "Сохранить", "Save"),
    ("common.cancel", "Отмена", "Cancel"),
    ("common.copy", "Копировать", "Copy"),
    ("common.yes", "да", "yes"),
    ("common.no", "нет", "no"),
    (
        "login.title",
        "Вход в личный кабинет",
        "Sign in to the cabinet",
    ),
    (
        "login.operator_title",
        "Вход оператора сервиса",
        "Service operator sign-in",
    ),
    (
        "login.inn_or_login",
        "ИНН организации или ваш логин",
        "Company INN or your login",
    ),
    (
        "audit.admin_added",
        "Добавлен администратор кабинета",
        "Cabinet admin added",
    ),
    (
        "audit.admin_disabled",
        "Администратор кабинета отключён",
        "Cabinet admin disabled",
    ),
    (
        "audit.admin_enabled",
        "Администратор кабинета снова допущен",
        "Cabinet admin enabled again",
    ),
    (
        "audit.admin_password_reset",
        "Администратору кабинета задан новый пароль",
        "Cabinet admin given a new password",
    ),
    (
        "audit.admin_deleted",
        "Администратор кабинета удалён",
        "Cabinet admin deleted",
    ),
    ("admins.title", "Администраторы кабинета", "Cabinet admins"),
    (
        "admins.hint",
        "У каждого сотрудника, который работает в кабинете, может быть свой логин и пароль: журнал покажет, кто что сделал, а ушедшего из компании можно отключить, не меняя пароль остальным. Администраторы могут всё в кабинете, кроме этой страницы: добавляет и отключает их только главная учётная запись (вход по ИНН).",
        "Each person who works in the cabinet can have a login and password of their own: the journal shows who did what, and one who leaves the company is disabled without changing the others' passwords. Admins can do everything in the cabinet but this page: only the main account (the login with the INN) adds and disables them.",
    ),
    (
        "admins.none",
        "Пока в кабинет входят только по ИНН организации.",
        "So far the cabinet is entered with the company's INN only.",
    ),
    ("admins.login", "Логин", "Login"),
    ("admins.name", "Имя", "Name"),
    ("admins.state", "Состояние", "State"),
    ("admins.since", "Добавлен", "Added"),
    ("admins.active", "может входить", "may log in"),
    ("admins.disabled", "отключён", "disabled"),
    ("admins.disable", "Отключить", "Disable"),
    ("admins.enable", "Допустить", "Enable"),
    ("admins.delete", "Удалить", "Delete"),
    (
        "admins.delete_confirm",
        "Удалить администратора",
        "Delete the admin",
    ),
    ("admins.reset", "Новый пароль", "New password"),
    (
        "admins.reset_hint",
        "Сеансы администратора завершатся, вход с кодом из приложения отключится: сообщите ему новый пароль.",
        "The admin's sessions end and their login code is turned off: tell them the new password.",
    ),
    ("admins.add", "Добавить администратора", "Add an admin"),
    (
        "admins.login_hint",
        "Латинские буквы, цифры, точка, дефис, подчёркивание и @ — подойдёт рабочая почта. Администратор вводит его на странице входа вместо ИНН.",
        "Latin letters, digits, dot, hyphen, underscore and @: a work e-mail address will do. The admin types it at the login page in place of the INN.",
    ),
    ("admins.password", "Начальный пароль", "Initial password"),
    (
        "admins.password_hint",
        "Не короче 8 символов. Сообщите его администратору: сменить его он сможет в «Настройке».",
        "At least 8 characters. Tell it to the admin, who can change it in Settings.",
    ),
    ("admins.max", "Администраторов не больше", "Admins at most"),
    (
        "done.admin_added",
        "Администратор добавлен: сообщите ему логин и пароль",
        "Admin added: tell them the login and the password",
    ),
    (
        "done.admin_disabled",
        "Администратор отключён, его сеансы завершены",
        "Admin disabled; their sessions are ended",
    ),
    (
        "done.admin_enabled",
        "Администратор снова может входить",
        "The admin may log in again",
    ),
    (
        "done.admin_reset",
        "Пароль администратора заменён, его сеансы завершены",
        "The admin's password is replaced; their sessions are ended",
    ),
    (
        "done.admin_deleted",
        "Администратор удалён",
        "Admin deleted",
    ),
    ("settings.admins", "Администраторы", "Admins"),
    (
        "settings.admins_count",
        "Администраторов со своим логином",
        "Admins with a login of their own",
    ),
    (
        "settings.admins_open",
        "Администраторы кабинета",
        "Cabinet admins",
    ),
    ("settings.own", "Вы вошли как", "You are logged in as"),
    (
        "settings.own_hint",
        "Пароль, вход с кодом и сеансы ниже — ваши. Администраторов добавляет и отключает главная учётная запись организации (вход по ИНН).",
        "The password, login code and sessions below are yours. The company's main account (the login with the INN) adds and disables admins.",
    ),
    (
        "admins.policy",
        "Вход с кодом для всех",
        "A login code for everyone",
    ),
    (
        "admins.policy_hint",
        "Когда включено, каждая учётная запись кабинета — и вход по ИНН, и администраторы — входит только с кодом из приложения-аутентификатора. У кого кода ещё нет, того кабинет после пароля попросит его настроить, а открытые сеансы таких администраторов завершатся. Отключить свой код при этом нельзя.",
        "When on, every account of the cabinet, the INN login and the admins alike, logs in only with a code from an authenticator app. Whoever has none yet is asked to set it up after the password, and such admins' open sessions end. Nobody can turn their code off meanwhile.",
    ),
    ("admins.policy_is_on", "требуется", "required"),
    (
        "admins.policy_imposed",
        "Этого требует оператор сервиса: снять требование может только он. Учётная запись без кода настраивает его при следующем входе.",
        "The service operator requires it: only they can lift it. An account without a code sets one up at its next login.",
    ),
    ("admins.policy_is_off", "по желанию каждого", "up to each"),
    (
        "admins.policy_on",
        "Требовать код от всех",
        "Require a code of everyone",
    ),
    ("admins.policy_off", "Не требовать", "Stop requiring it"),
    (
        "admins.policy_own_first",
        "Сначала включите вход с кодом для учётной записи организации (вход по ИНН): Настройка → Вход с кодом из приложения.",
        "First turn the login code on for the company's account (the INN login): Settings → Login with a code from an app.",
    ),
    (
        "admins.no_code",
        "настроит код при входе",
        "sets a code up at login",
    ),
    (
        "done.policy_required",
        "Вход с кодом теперь обязателен для всех учётных записей",
        "A login code is now required of every account",
    ),
    (
        "done.policy_optional",
        "Вход с кодом больше не обязателен",
        "A login code is no longer required",
    ),
    (
        "done.policy_unchanged",
        "Ничего не изменилось",
        "Nothing changed",
    ),
    (
        "audit.second_factor_required",
        "Вход с кодом обязателен для всех",
        "A login code required of everyone",
    ),
    (
        "audit.second_factor_optional",
        "Вход с кодом больше не обязателен",
        "A login code no longer required",
    ),
    (
        "setup.title",
        "Настройте вход с кодом",
        "Set up the login code",
    ),
    (
        "setup.hint",
        "Пароль верный. Организация требует входить в кабинет с кодом из приложения-аутентификатора: настройте его, чтобы войти.",
        "The password is right. Your company requires a code from an authenticator app to log in to the cabinet: set it up to log in.",
    ),
    ("setup.go", "Перейти в кабинет", "Go to the cabinet"),
    (
        "tfa.required",
        "Организация требует вход с кодом: отключить его нельзя. Это требование снимает учётная запись организации (вход по ИНН) на странице администраторов.",
        "Your company requires the login code: it cannot be turned off. The company's account (the INN login) lifts the requirement on the admins page.",
    ),
    (
        "tfa.imposed",
        "Оператор сервиса требует вход с кодом для вашей организации: отключить его нельзя.",
        "The service operator requires the login code of your company: it cannot be turned off.",
    ),
    (
        "audit.who_main",
        "Учётная запись организации (вход по ИНН)",
        "The company's account (the INN login)",
    ),
    ("admins.last_login", "Последний вход", "Last login"),
    ("admins.never", "ещё не входил", "not yet"),
    ("op.admins", "администраторов", "admins"),
    ("op.code_required", "код обязателен", "code required"),
    (
        "op.code_imposed",
        "код обязателен по требованию оператора",
        "code required by the operator",
    ),
    ("op.code_impose", "Требовать код", "Require the code"),
    (
        "op.code_impose_hint",
        "Вход в кабинет организации только с кодом из приложения, для всех её учётных записей; без кода — настройка при следующем входе",
        "Every account of the company's cabinet logs in with a code from an app; one without a code sets it up at its next login",
    ),
    (
        "op.code_lift",
        "Не требовать код",
        "Stop requiring the code",
    ),
    ("admins.viewer", "только просмотр", "view only"),
    ("admins.sender", "отправка сообщений", "sending messages"),
    ("admins.hr", "без настроек", "no settings"),
    ("admins.make_hr", "Без настроек", "No settings"),
    (
        "admins.role_hr",
        "Кадровик: сотрудники, группы и сообщения; настройки, ключи API и вебхук — только просмотр",
        "HR: employees, groups and messages; the settings, API keys and webhook view only",
    ),
    (
        "top.no_settings",
        "Настройки организации, ключи API и вебхук ваша учётная запись только смотрит. Свои пароль, вход с кодом и сеансы вы настраиваете сами.",
        "Your account only looks at the company's settings, API keys and webhook. Your own password, login code and sessions are yours to set.",
    ),
    ("admins.make_viewer", "Только просмотр", "View only"),
    ("admins.make_sender", "Только отправка", "Sending only"),
    ("admins.make_admin", "Дать полные права", "Give full rights"),
    ("admins.role", "Права", "Rights"),
    (
        "admins.role_admin",
        "Полные: отправка, сотрудники, настройки (кроме администраторов)",
        "Full: sending, employees, settings (but the admins)",
    ),
    (
        "admins.role_sender",
        "Отправка: сообщения, отзыв и отмена своих, повтор и напоминание; сотрудники и настройки — только просмотр",
        "Sending: messages, recalling and cancelling their own, push again and reminders; employees and settings view only",
    ),
    (
        "admins.role_viewer",
        "Только просмотр: сообщения, сотрудники, журнал, выгрузки — без изменений",
        "View only: messages, employees, the journal, downloads, changing nothing",
    ),
    (
        "audit.admin_role_changed",
        "Изменены права администратора кабинета",
        "Cabinet admin's rights changed",
    ),
    (
        "done.admin_role",
        "Права администратора изменены",
        "The admin's rights are changed",
    ),
    ("top.companies", "Организации", "Companies"),
    ("access.title", "Мои организации", "My companies"),
    (
        "access.hint",
        "Организации, в кабинетах которых вы работаете под одним логином: своя и те, что дали вам доступ. Доступ открывается, когда вы его примете; отказаться от него можно в любой момент. Ваш логин:",
        "The companies whose cabinets you work in with one login: your own and those that gave you access. An access opens once you accept it; you can give it up at any time. Your login:",
    ),
    ("access.company", "Организация", "Company"),
    ("access.inn", "ИНН", "INN"),
    ("access.right", "Права", "Rights"),
    ("access.full", "полные права", "full rights"),
    ("access.own", "своя", "own"),
    ("access.current", "вы здесь", "you are here"),
    (
        "access.waiting",
        "ждёт вашего согласия",
        "waiting for you to accept",
    ),
    ("access.closed", "доступ закрыт", "access closed"),
    ("access.enter", "Перейти в кабинет", "Enter the cabinet"),
    ("access.accept", "Принять доступ", "Accept the access"),
    ("access.decline", "Отказаться", "Decline"),
    (
        "access.give_up",
        "Отказаться от доступа",
        "Give up the access",
    ),
    (
        "access.decline_confirm",
        "Отказаться от доступа к кабинету организации",
        "Give up the access to the cabinet of",
    ),
    (
        "guests.title",
        "Администраторы других организаций",
        "Other companies' admins",
    ),
    (
        "guests.hint",
        "Бухгалтер на аутсорсе или отдел кадров группы компаний работает в кабинетах нескольких организаций под одним логином. Укажите логин администратора другой организации: доступ откроется, когда он его примет. Пароль и вход с кодом остаются его, их меняет его организация; права здесь, отключение и закрытие доступа — ваши. Если ваша организация требует вход с кодом, без кода он в кабинет не войдёт.",
        "An outsourced accountant or a holding's HR works in several companies' cabinets with one login. Give another company's admin login: the access opens once they accept it. Their password and login code stay theirs, their own company changes them; the rights here, disabling and closing the access are yours. If your company requires a login code, they do not enter without one.",
    ),
    (
        "guests.none",
        "Доступ администраторам других организаций не давали",
        "No other company's admin has been given access",
    ),
    (
        "guests.login",
        "Логин администратора другой организации",
        "Another company's admin login",
    ),
    ("guests.add", "Дать доступ", "Give access"),
    ("guests.waiting", "ждёт согласия", "waiting to be accepted"),
    (
        "guests.last_entry",
        "Последний вход сюда",
        "Last entered here",
    ),
    ("guests.remove", "Закрыть доступ", "Close the access"),
    (
        "guests.remove_confirm",
        "Закрыть доступ к кабинету для",
        "Close the cabinet's access for",
    ),
    (
        "audit.access_granted",
        "Дан доступ к кабинету",
        "Cabinet access given",
    ),
    (
        "audit.access_accepted",
        "Доступ к кабинету принят",
        "Cabinet access accepted",
    ),
    (
        "audit.access_declined",
        "От доступа к кабинету отказались",
        "Cabinet access declined",
    ),
    (
        "audit.access_removed",
        "Доступ к кабинету закрыт",
        "Cabinet access closed",
    ),
    (
        "done.entered",
        "Вы в кабинете организации",
        "You are in the company's cabinet",
    ),
    (
        "done.access_accepted",
        "Доступ принят: перейдите в кабинет организации",
        "Access accepted: enter the company's cabinet",
    ),
    (
        "done.access_declined",
        "Вы отказались от доступа",
        "You gave up the access",
    ),
    (
        "done.access_granted",
        "Доступ дан: он откроется, когда администратор его примет",
        "Access given: it opens once the admin accepts it",
    ),
    (
        "done.access_removed",
        "Доступ закрыт",
        "The access is closed",
    ),
    (
        "top.read_only",
        "Режим просмотра: ваша учётная запись может смотреть и выгружать, но не изменять. Свои пароль, вход с кодом и сеансы вы настраиваете сами.",
        "View only: your account can look and download, not change. Your own password, login code and sessions are yours to set.",
    ),
    (
        "top.sends_only",
        "Отправка сообщений: ваша учётная запись отправляет, отзывает и напоминает, остальное только смотрит. Свои пароль, вход с кодом и сеансы вы настраиваете сами.",
        "Sending messages: your account sends, recalls and reminds, and only looks at the rest. Your own password, login code and sessions are yours to set.",
    ),
    (
        "webhook.secret_hidden",
        "Секрет подписи видит администратор с полными правами.",
        "The signing secret is shown to admins with full rights.",
    ),
    ("login.inn", "ИНН организации", "Company INN"),
    ("login.operator_login", "Логин", "Login"),
    ("login.password", "Пароль", "Password"),
    ("login.submit", "Войти", "Sign in"),
    (
        "login.bad_credentials",
        "Неверный логин или пароль",
        "Wrong login or password",
    ),
    (
        "login.hint",
        "Нет доступа? Напишите оператору сервиса: он выдаст пароль и токен API.",
        "No access yet? Ask the service operator for a password and an API token.",
    ),
    ("error.back", "Вернуться", "Go back"),
    ("error.not_found", "Страница не найдена", "Page not found"),
    (
        "error.not_found_detail",
        "Такой страницы нет, или она принадлежит другой организации.",
        "There is no such page, or it belongs to another company.",
    ),
    ("error.csrf", "Форма устарела", "The form has expired"),
    (
        "error.csrf_detail",
        "Обновите страницу и отправьте форму ещё раз.",
        "Reload the page and submit the form again.",
    ),
    ("error.invalid", "Не получилось", "That did not work"),
    (
        "error.bad_form",
        "Форма заполнена неверно.",
        "The form is not filled in correctly.",
    ),
    ("error.forbidden", "Доступ запрещён", "Access denied"),
    (
        "error.too_slow",
        "Форма не получена вовремя",
        "The form did not arrive in time",
    ),
    (
        "error.throttled",
        "Слишком много попыток",
        "Too many attempts",
    ),
    ("error.internal", "Ошибка сервера", "Server error"),
    (
        "error.internal_detail",
        "Мы уже знаем о ней. Попробуйте ещё раз чуть позже.",
        "It has been logged. Please try again a little later.",
    ),
    (
        "error.unavailable",
        "Сервис временно недоступен",
        "The service is unavailable for now",
    ),
    (
        "error.unavailable_detail",
        "Нет связи с базой данных. Обновите страницу через несколько секунд: то, что уже сохранено, не потеряно.",
        "Its database cannot be reached. Reload the page in a few seconds: nothing already saved is lost.",
    ),
    (
        "error.busy_detail",
        "База данных занята другой программой. Обновите страницу через несколько секунд: то, что уже сохранено, не потеряно.",
        "Its database is held by another program. Reload the page in a few seconds: nothing already saved is lost.",
    ),
    (
        "error.read_only_detail",
        "База данных сейчас только для чтения (например, пока она переключается на резервный сервер): сохранить ничего нельзя. Просмотр работает, сохранённое не потеряно. Повторите через несколько секунд.",
        "The database is read-only at the moment (while it switches over to a standby server, say): nothing can be saved. Viewing works, and nothing saved is lost. Try again in a few seconds.",
    ),
    (
        "error.disk_full_detail",
        "На диске сервера нет места: сохранить ничего нельзя, пока оператор сервиса его не освободит. Просмотр работает, сохранённое не потеряно.",
        "The server's disk is full: nothing can be saved until the service's operator frees some space. Viewing works, and nothing saved is lost.",
    ),
    ("dash.title", "Главная", "Dashboard"),
    (
        "dash.messages_14d",
        "сообщений за 14 дней",
        "messages in 14 days",
    ),
    ("dash.delivered", "доставлено", "delivered"),
    ("dash.read", "прочитано", "read"),
    (
        "dash.no_push",
        "сотрудников без push",
        "employees without push",
    ),
    ("dash.pending", "ждут подтверждения", "awaiting approval"),
    ("dash.per_day", "Сообщения по дням", "Messages per day"),
    ("dash.quick", "Быстрые действия", "Quick actions"),
    (
        "dash.staff_total",
        "Всего сотрудников",
        "Employees in total",
    ),
    ("emp.title", "Сотрудники", "Employees"),
    (
        "emp.empty",
        "Сотрудников пока нет: они появятся, когда войдут в мобильное приложение по ИНН организации, или добавьте их списком.",
        "No employees yet: they appear once they log in to the mobile app with the company's INN, or add them from a list.",
    ),
    ("add.title", "Добавить сотрудников", "Add employees"),
    (
        "add.intro",
        "По сотруднику в строке: телефон и ФИО через табуляцию, «;» или «,» в любом порядке — например, два столбца, скопированные из Excel, или CSV. Строка заголовка пропускается. До 100 000 за раз.",
        "An employee a line: the phone and the name separated by a tab, “;” or “,”, in either order — two columns copied from Excel, say, or CSV. A header line is skipped. Up to 100,000 at a time.",
    ),
    (
        "add.what",
        "Добавленные сразу включены в рассылку: им можно писать ещё до установки приложения, сообщения появятся в нём после входа по этому телефону. Кто уже есть среди сотрудников, остаётся как есть (ожидающие подтверждения — подтверждаются).",
        "Those added are active at once: you can write to them before they install the app, and the messages appear in it once they log in with this phone. Those already employees stay as they are (those awaiting approval are approved).",
    ),
    (
        "add.open_policy",
        "Сейчас войти в приложение может и тот, кого нет в списке. Чтобы пускать только список, выберите это в настройках.",
        "Right now someone not on the list may log in to the app too. To admit only the list, choose so in the settings.",
    ),
    ("add.list", "Список сотрудников", "Staff list"),
    (
        "add.file",
        "или файл CSV или TXT (UTF-8 или Windows-1251 — как сохраняет Excel; до 10 МБ); если выбран, список берётся из него",
        "or a CSV or TXT file (UTF-8 or Windows-1251, as Excel saves it; up to 10 MB); when chosen, the list is read from it",
    ),
    ("add.submit", "Добавить", "Add"),
    ("add.added", "Добавлено", "Added"),
    ("add.approved", "Подтверждено", "Approved"),
    (
        "add.existing",
        "Уже были среди сотрудников",
        "Already employees",
    ),
    ("add.more", "Добавить ещё", "Add more"),
    (
        "add.whole",
        "Это весь штат: добавить, а остальных отключить",
        "This is the whole staff: add, and disable the rest",
    ),
    (
        "add.sync_title",
        "Синхронизация всего штата",
        "Whole staff sync",
    ),
    (
        "add.sync_hint",
        "Больше 10 000 сотрудников? Кадровая система передаёт весь штат частями: beginstaffsync, затем addstaff с syncid по 10 000, затем finishstaffsync — он отключает тех, кого не было ни в одной части.",
        "Over 10,000 employees? The HR system sends the whole staff in parts: beginstaffsync, then addstaff with the syncid, 10,000 at a time, then finishstaffsync, which disables whoever none of the parts named.",
    ),
    ("add.sync_docs", "Как это сделать", "How to"),
    (
        "add.sync_finished",
        "Последняя синхронизация штата: начата {}, завершена {}; в списках: {}, отключено: {}.",
        "Last staff sync: begun {}, finished {}; listed: {}, disabled: {}.",
    ),
    (
        "add.sync_open",
        "Последняя синхронизация штата начата {} и ещё не завершена.",
        "The last staff sync was begun {} and is not finished yet.",
    ),
    (
        "add.sync_expired",
        "Последняя синхронизация штата, начатая {}, не была завершена за 24 часа: никто не отключён.",
        "The last staff sync, begun {}, was not finished within 24 hours: nobody was disabled.",
    ),
    (
        "add.whole_hint",
        "Для полной выгрузки из кадровой системы: сотрудники, которых нет в списке (уволенные), отключаются от рассылки. Они не удаляются — история остаётся, включить можно в списке сотрудников.",
        "For a full export from the HR system: the employees not on the list (those who left) are disabled. They are not deleted: their history stays, and they can be enabled again in the employee list.",
    ),
    (
        "add.whole_confirm",
        "Все сотрудники, которых нет в этом списке, будут отключены от рассылки. Продолжить?",
        "Every employee not on this list will be disabled. Go on?",
    ),
    (
        "add.disabled",
        "Отключено (нет в списке)",
        "Disabled (not on the list)",
    ),
    (
        "add.to_list",
        "К списку сотрудников",
        "To the employee list",
    ),
    (
        "add.skip",
        "Пропустить строки с ошибками, остальных добавить",
        "Skip the lines with mistakes and add the rest",
    ),
    (
        "add.skipped",
        "Пропущено строк с ошибками",
        "Lines with mistakes skipped",
    ),
    ("add.skipped_more", "и ещё строк: {}", "and {} more lines"),
    (
        "add.retry",
        "Строки с ошибками — исправьте и добавьте",
        "The lines with mistakes: correct them and add",
    ),
    (
        "add.retry_cut",
        "Здесь первые {} строк с ошибками. Столько ошибок лучше исправить в файле и загрузить его снова: уже добавленные не повторятся.",
        "Here are the first {} lines with mistakes. So many are better corrected in the file, then upload it again: those added already are not repeated.",
    ),
    (
        "add.retry_submit",
        "Добавить исправленные",
        "Add the corrected lines",
    ),
    (
        "add.skipped_hint",
        "Исправьте их ниже и добавьте: уже добавленные не повторятся. Сотрудник, у которого ошибка только в ФИО, остаётся в штате как был.",
        "Correct them below and add them: those already added will not be repeated. An employee whose line is wrong in the name alone stays on the staff as they were.",
    ),
    ("emp.id", "ID сотрудника", "Employee ID"),
    ("emp.name", "ФИО", "Name"),
    ("emp.phone", "Телефон", "Phone"),
    ("emp.device", "Устройство", "Device"),
    ("emp.registered", "Регистрация", "Registered"),
    (
        "emp.phone_hint",
        "Новый номер — для входа в приложение; сеанс, push и история сообщений остаются.",
        "The new number is for logging in to the app; the session, push and message history stay.",
    ),
    ("emp.without_push", "Без push", "No push"),
    (
        "emp.without_push_hint",
        "Ещё не вошли в приложение или не разрешили уведомления: кому напомнить установить приложение",
        "Not logged in to the app yet, or notifications not allowed: whom to remind to install the app",
    ),
    (
        "emp.not_logged_in",
        "ещё не входил в приложение",
        "not logged in to the app yet",
    ),
    ("emp.push", "Push", "Push"),
    ("emp.push_on", "подключены", "on"),
    ("emp.push_off", "нет push", "no push"),
    ("emp.state", "Состояние", "State"),
    ("emp.actions", "Действия", "Actions"),
    ("emp.disable", "Отключить", "Disable"),
    ("emp.enable", "Включить", "Enable"),
    ("emp.approve", "Подтвердить", "Approve"),
    ("emp.edit", "Изменить", "Edit"),
    ("emp.delete", "Удалить", "Delete"),
    (
        "emp.delete_title",
        "Удалить сотрудника?",
        "Delete the employee?",
    ),
    (
        "emp.delete_warning",
        "Будут удалены и все его сообщения. Это нельзя отменить.",
        "All their messages are deleted too. This cannot be undone.",
    ),
    ("emp.delete_confirm", "Да, удалить", "Yes, delete"),
    ("emp.search", "Поиск", "Search"),
    (
        "emp.search_hint",
        "ФИО, телефон или ID",
        "Name, phone or ID",
    ),
    ("emp.n_all", "Все", "All"),
    ("emp.n_active", "В рассылке", "Active"),
    ("emp.n_disabled", "Отключены", "Disabled"),
    ("emp.n_pending", "Ждут подтверждения", "Awaiting approval"),
    ("emp.found", "Найдено", "Found"),
    (
        "emp.none_found",
        "Никого не нашлось: измените поиск или фильтр.",
        "Nobody found: change the search or the filter.",
    ),
    ("emp.messages", "Сообщения", "Messages"),
    ("emp.page", "Страница", "Page"),
    ("emp.of", "из", "of"),
    ("emp.prev_page", "Назад", "Previous"),
    ("msg.staff_none", "Нет сотрудника", "No employee matches"),
    (
        "msg.staff_many",
        "Подходят несколько сотрудников",
        "Several employees match",
    ),
    (
        "msg.staff_narrow",
        "Уточните ФИО или укажите телефон либо ID",
        "Type more of the name, or the phone or ID",
    ),
    ("state.active", "в рассылке", "active"),
    ("state.disabled", "отключён", "disabled"),
    ("state.pending", "ждёт подтверждения", "awaiting approval"),
    ("msg.title", "Сообщения", "Messages"),
    ("msg.f_staff", "Сотрудник", "Employee"),
    ("msg.f_all", "Все", "All"),
    ("msg.f_from", "С даты", "From"),
    ("msg.f_to", "По дату", "To"),
    ("msg.f_status", "Статус", "Status"),
    ("msg.f_search", "Поиск", "Search"),
    (
        "msg.f_search_hint",
        "слова из заголовка или текста",
        "words in the title or text",
    ),
    ("msg.f_apply", "Найти", "Apply"),
    ("msg.f_reset", "Сбросить", "Reset"),
    ("msg.col_employee", "Сотрудник", "Employee"),
    ("msg.col_title", "Заголовок", "Title"),
    ("msg.col_created", "Дата создания", "Created"),
    ("msg.sent_by", "Отправитель", "Sent by"),
    ("card.back", "К списку сотрудников", "Back to the employees"),
    ("card.updated", "Изменён", "Changed"),
    ("card.groups", "Группы", "Groups"),
    ("card.no_groups", "Ни в одной группе", "In no group"),
    ("audit.about", "О сотруднике", "About the employee"),
    ("msg.f_by", "Отправитель", "Sender"),
    ("msg.sender_messages", "его сообщения", "their messages"),
    (
        "msg.by_api_main",
        "АСУ (API), основной токен",
        "Integration (API), the main token",
    ),
    ("card.history", "Изменения", "Changes"),
    (
        "card.no_history",
        "Журнал не записал изменений этого сотрудника.",
        "The journal has recorded no change of this employee.",
    ),
    ("card.all_history", "Все в журнале", "All in the journal"),
    (
        "msg.recall_not_yours",
        "Отозвать это сообщение может тот, кто его отправил, или администратор с полными правами.",
        "Only who sent this message, or an admin with full rights, can recall it.",
    ),
    (
        "sched.not_yours",
        "изменить или отменить может запланировавший",
        "only who scheduled it can change or cancel it",
    ),
    ("card.write", "Написать", "Write"),
    (
        "card.messages",
        "Сообщения сотруднику",
        "Messages to the employee",
    ),
    (
        "card.no_messages",
        "Сообщений этому сотруднику ещё не было.",
        "No message has been sent to this employee yet.",
    ),
    ("card.total", "Всего сообщений:", "Messages in all:"),
    ("card.recent", "Последние", "The latest"),
    ("msg.send", "Рассылка", "The send"),
    (
        "msg.send_total",
        "Это сообщение отправлено вместе с другими, всего получателей:",
        "This message was sent with others, recipients in all:",
    ),
    (
        "msg.f_send",
        "Сообщения рассылки сообщения",
        "The messages of the send of message",
    ),
    ("msg.f_send_clear", "все сообщения", "all messages"),
    (
        "msg.sent_by_journal",
        "Журнал действий отправителя",
        "The sender's actions in the journal",
    ),
    ("msg.col_status", "Статус", "Status"),
    ("msg.open", "Перейти", "Open"),
    ("msg.empty", "Сообщений пока нет.", "No messages yet."),
    (
        "msg.none_found",
        "Ничего не найдено: измените фильтры.",
        "Nothing found: change the filters.",
    ),
    ("msg.first_page", "В начало", "First page"),
    ("msg.export", "Выгрузить в CSV", "Download CSV"),
    (
        "msg.export_hint",
        "Все сообщения с этими фильтрами, для Excel",
        "Every message these filters select, for a spreadsheet",
    ),
    ("exp.id", "Номер сообщения", "Message number"),
    ("exp.staff_id", "ID сотрудника", "Employee ID"),
    ("exp.staff", "Сотрудник", "Employee"),
    ("exp.phone", "Телефон", "Phone"),
    ("exp.title", "Заголовок", "Title"),
    ("exp.text", "Текст", "Text"),
    ("exp.source", "Источник", "Source"),
    ("exp.sent_by", "Отправитель", "Sent by"),
    ("exp.status", "Статус", "Status"),
    ("exp.reason", "Причина", "Reason"),
    ("exp.created", "Создано", "Created"),
    ("exp.sent", "Отправлено", "Sent"),
    ("exp.delivered", "Доставлено", "Delivered"),
    ("exp.read", "Прочитано", "Read"),
    (
        "exp.ack_required",
        "Требуется ознакомление",
        "Acknowledgment asked",
    ),
    ("exp.acked", "Ознакомлен", "Acknowledged"),
    ("exp.reminded", "Последнее напоминание", "Last reminder"),
    ("exp.yes", "да", "yes"),
    ("msg.next_page", "Дальше", "Next"),
    ("msg.back", "К списку сообщений", "Back to messages"),
    ("msg.id", "Номер", "Number"),
    ("msg.history", "История статусов", "Status history"),
    ("msg.resend", "Отправить ещё раз", "Push again"),
    (
        "msg.recall_found",
        "Отозвать все найденные",
        "Recall every message found",
    ),
    (
        "msg.recall_found_hint",
        "Все сообщения, которые находит фильтр (не только на этой странице), исчезнут из приложений сотрудников; отменить это нельзя.",
        "Every message the filter finds (not only on this page) disappears from the employees' apps; this cannot be undone.",
    ),
    (
        "msg.recall_found_own",
        "Отзываются только отправленные вами.",
        "Only those you sent are recalled.",
    ),
    (
        "msg.recall_found_confirm",
        "Отозвать все найденные сообщения? Отменить это нельзя.",
        "Recall every message found? This cannot be undone.",
    ),
    (
        "msg.resend_found",
        "Отправить уведомления ещё раз всем найденным",
        "Push every message found again",
    ),
    (
        "msg.remind_found",
        "Напомнить всем найденным",
        "Remind everyone found",
    ),
    (
        "msg.remind_found_hint",
        "Push-уведомление «Напоминание» тем, у кого есть приложение и кому не напоминали в последний час; на всех страницах списка.",
        "A “Reminder” push notification to those who have the app and were not reminded in the last hour; on every page of the list.",
    ),
    (
        "msg.resend_found_hint",
        "Тем, у кого теперь есть приложение с уведомлениями; на всех страницах списка.",
        "To those who now have the app with notifications; on every page of the list.",
    ),
    (
        "msg.resend_hint",
        "Push-уведомление не дошло. Само сообщение не потеряно: приложение получит его при следующей синхронизации. Если у сотрудника теперь есть приложение с уведомлениями, уведомление можно отправить ещё раз.",
        "The push notification did not get through. The message itself is not lost: the app gets it at its next sync. If the employee now has the app with notifications, the notification can be pushed again.",
    ),
    (
        "msg.resend_one",
        "Отправить уведомление ещё раз",
        "Push this message again",
    ),
    (
        "msg.resend_send",
        "Отправить ещё раз всем недоставленным этой рассылки",
        "Push again to everyone of this send it did not reach",
    ),
    (
        "msg.resend_none",
        "Отправить некуда: сотрудник не вошёл в приложение на телефоне с уведомлениями или отключён от рассылки.",
        "Nowhere to push: the employee has not logged in to the app on a phone with notifications, or is switched off from the mailing.",
    ),
    ("msg.recall", "Отозвать", "Recall"),
    (
        "msg.recall_hint",
        "Отправлено по ошибке? Сообщение исчезнет из приложения сотрудника вместе с уведомлением (телефону уйдёт беззвучное уведомление об отзыве), а ещё не отправленное уведомление не уйдёт. Отменить отзыв нельзя.",
        "Sent by mistake? The message disappears from the employee's app with its notification (the phone gets a silent recall push), and a notification not yet sent will not go. A recall cannot be undone.",
    ),
    (
        "msg.recall_one",
        "Отозвать это сообщение",
        "Recall this message",
    ),
    (
        "msg.recall_send",
        "Отозвать у всех получателей этой рассылки",
        "Recall from every recipient of this send",
    ),
    (
        "msg.recall_confirm",
        "Отозвать? Отменить это нельзя",
        "Recall? This cannot be undone",
    ),
    ("status.created", "Создано", "Created"),
    ("status.queued", "В очереди", "Queued"),
    ("status.sent", "Отправлено", "Sent"),
    ("status.delivered", "Доставлено", "Delivered"),
    ("status.read", "Прочитано", "Read"),
    ("status.acknowledged", "Ознакомлен", "Acknowledged"),
    ("status.reminder", "Напоминание", "Reminder"),
    ("status.sms", "SMS", "SMS"),
    (
        "emp.invite",
        "Пригласить в приложение по SMS",
        "Invite to the app by SMS",
    ),
    (
        "card.invited",
        "Приглашение в приложение",
        "Invitation to the app",
    ),
    ("card.invite_sent", "SMS отправлено", "SMS sent"),
    (
        "card.invite_waiting",
        "ждёт отправки с",
        "waiting to be sent since",
    ),
    (
        "add.invite",
        "Пригласить тех, кто ещё не входил, в приложение по SMS",
        "Invite those who have not logged in yet to the app by SMS",
    ),
    (
        "emp.invite_hint",
        "Сотрудники, которые ещё не входили в приложение, получат SMS со ссылкой на приложение и ИНН организации для входа. Не чаще раза в неделю каждому; SMS входят в месячный лимит.",
        "Employees who have not logged in to the app yet get an SMS with the app's link and the company's INN to log in with. Once a week each at most; the SMS count toward the month's limit.",
    ),
    (
        "emp.invite_none",
        "Все, кто не входил, уже приглашены на этой неделе.",
        "Everyone who has not logged in was invited this week already.",
    ),
    (
        "msg.awaiting_ack",
        "Ждёт ознакомления",
        "Awaiting acknowledgment",
    ),
    ("msg.ack", "Ознакомление", "Acknowledgment"),
    (
        "dash.awaiting_ack",
        "сообщений ждут ознакомления",
        "messages awaiting acknowledgment",
    ),
    (
        "msg.ack_not_yet",
        "Сотрудник ещё не подтвердил ознакомление.",
        "The employee has not acknowledged it yet.",
    ),
    (
        "msg.ack_done",
        "Сотрудник ознакомился:",
        "The employee acknowledged it:",
    ),
    (
        "msg.ack_send",
        "По всей отправке ознакомились",
        "Of the whole send, acknowledged:",
    ),
    ("msg.ack_of", "из", "of"),
    (
        "msg.ack_waiting",
        "Ещё не ознакомились",
        "Not acknowledged yet",
    ),
    ("msg.ack_more", "И ещё", "And"),
    (
        "msg.remind_one",
        "Напомнить сотруднику",
        "Remind the employee",
    ),
    (
        "msg.remind_send",
        "Напомнить всем, кто не ознакомился",
        "Remind everyone who has not acknowledged",
    ),
    (
        "msg.remind_hint",
        "Сотрудник получит push-уведомление «Напоминание» с этим сообщением. Напомнить об одном сообщении можно не чаще раза в час.",
        "The employee gets a “Reminder” push notification with this message. A message can be reminded once an hour at most.",
    ),
    (
        "msg.remind_auto",
        "Сервер сам напоминает тем, кто не ознакомился, через",
        "The server itself reminds those who have not acknowledged it after",
    ),
    ("msg.remind_auto_hours", "ч после отправки.", "hours."),
    ("msg.remind_auto_settings", "Настройка", "Setting"),
    (
        "msg.remind_last",
        "Последнее напоминание:",
        "Last reminder:",
    ),
    (
        "msg.remind_none",
        "Напомнить сейчас некому: напоминание уже было в течение часа, или у сотрудников нет приложения, или они отключены от рассылки.",
        "No one to remind now: a reminder went within the hour, or the employees have no app, or they are disabled.",
    ),
    (
        "msg.ack_all",
        "Все сообщения, ждущие ознакомления",
        "Every message awaiting acknowledgment",
    ),
    ("status.failed", "Ошибка доставки", "Delivery failed"),
    ("status.no_device", "Нет устройства", "No device"),
    ("status.recalled", "Отозвано", "Recalled"),
    ("source.api", "через API", "via the API"),
    ("source.cabinet", "из личного кабинета", "from the cabinet"),
    ("send.title", "Отправить сообщение", "Send a message"),
    ("send.recipients", "Кому", "To"),
    (
        "send.all",
        "Всем сотрудникам в рассылке",
        "All active employees",
    ),
    ("send.search", "Найти сотрудника…", "Find an employee…"),
    (
        "send.no_active",
        "Нет сотрудников в рассылке.",
        "No active employees.",
    ),
    (
        "send.no_recipients",
        "Выберите хотя бы одного сотрудника",
        "Choose at least one employee",
    ),
    ("send.msg_title", "Заголовок", "Title"),
    ("send.msg_text", "Содержание", "Text"),
    (
        "send.name_hint",
        "{ФИО} в заголовке или тексте заменяется ФИО каждого получателя: «{ФИО}, завтра смена в 8:00».",
        "{ФИО} (or {name}) in the title or the text becomes each recipient's name: “{name}, your shift is at 8:00 tomorrow”.",
    ),
    (
        "send.ack",
        "Требуется подтверждение ознакомления",
        "Ask the employees to acknowledge it",
    ),
    (
        "send.ack_hint",
        "В приложении под сообщением будет кнопка «Ознакомлен(а)». Кто и когда её нажал, видно в списке сообщений (статус «Ознакомлен», фильтр «Ждёт ознакомления») и на странице сообщения: там же — кто из получателей ещё не ознакомился.",
        "The app shows an “I have read it” button under the message. Who pressed it and when shows in the message list (status “Acknowledged”, filter “Awaiting acknowledgment”) and on the message's page, with the recipients who have not yet.",
    ),
    ("send.submit", "Отправить", "Send"),
    ("send.result", "Результат отправки", "Sent"),
    ("send.message_no", "сообщение №", "message no."),
    ("send.created", "Создано сообщений", "Messages created"),
    (
        "send.see_list",
        "открыть список сообщений",
        "open the message list",
    ),
    (
        "send.typed",
        "Или сотрудники по телефону либо ID",
        "Or employees by phone or ID",
    ),
    (
        "send.typed_hint",
        "+7 900 111-22-33, 1042; по одному на строке или через запятую",
        "+7 900 111-22-33, 1042; one a line or separated by commas",
    ),
    (
        "send.unknown",
        "Ничего не отправлено: нет таких сотрудников",
        "Nothing was sent: no such employees",
    ),
    ("settings.title", "Настройка", "Settings"),
    ("settings.company", "Организация", "Company"),
    ("settings.short_name", "Название", "Name"),
    ("settings.full_name", "Полное название", "Full name"),
    ("settings.since", "Подключена", "Since"),
    ("settings.token", "Ключи API", "API keys"),
    ("keys.main", "Основной ключ", "The main key"),
    (
        "keys.main_revoked",
        "Основной ключ отозван. Кнопка ниже выпустит его заново.",
        "The main key is revoked. The button below issues it again.",
    ),
    ("keys.others", "Ключи ваших систем", "Keys of your systems"),
    (
        "keys.hint",
        "Отдельный ключ для каждой системы (1С:ЗУП, ERP, скрипт отчётов): его можно заменить или отозвать, не трогая остальные, а журнал называет ключ, которым сделано действие. Ключ «только чтение» получает сообщения, статусы, сотрудников и группы, но ничего не меняет.",
        "A key of its own for each system (1C HR, an ERP, a reporting script): it can be replaced or revoked without touching the others, and the journal names the key an action was done with. A read-only key gets messages, statuses, employees and groups, and changes nothing.",
    ),
    ("keys.name", "Название", "Name"),
    ("keys.name_example", "например, 1С:ЗУП", "e.g. 1C HR"),
    ("keys.access", "Доступ", "Access"),
    ("keys.full", "полный", "full"),
    ("keys.read", "только чтение", "read only"),
    ("keys.send", "только отправка", "sending only"),
    (
        "keys.send_hint",
        "только отправка сообщений (createmessage, schedulemessage, recallmessage и другие, и методы get…; не сотрудники и не группы)",
        "sending messages only (createmessage, schedulemessage, recallmessage and the like, and the get… methods; not employees nor groups)",
    ),
    (
        "keys.read_hint",
        "только чтение (методы get…)",
        "read only (the get… methods)",
    ),
    ("keys.used", "Последний вызов", "Last call"),
    ("keys.never", "ещё не использовался", "not used yet"),
    ("keys.created", "выпущен", "issued"),
    ("keys.until", "действует до", "works until"),
    ("keys.end_old", "Отключить сейчас", "End it now"),
    (
        "keys.end_old_hint",
        "Прежний токен после замены. Если все системы уже перешли на новый (или прежний мог попасть в чужие руки), отключите его, не дожидаясь конца переходного периода.",
        "The old token after a rotation. Once every system uses the new one (or if the old one may have leaked), end it without waiting for the grace period to be over.",
    ),
    (
        "keys.main_old",
        "Прежний токен основного ключа",
        "The main key's old token",
    ),
    ("keys.ends", "работает по", "works through"),
    (
        "keys.ends_soon",
        "скоро перестанет работать",
        "stops working soon",
    ),
    ("keys.end", "Срок", "End date"),
    (
        "keys.end_field",
        "Последний день работы",
        "The last day it works",
    ),
    (
        "keys.end_hint",
        "Ключ работает по этот день включительно (часовой пояс сервера), потом его токен не принимается: для подрядчика или пробного подключения. Пусто — бессрочно.",
        "The key works through that day (the server's time zone), then its token is refused: for a contractor or a trial. Empty: no end.",
    ),
    ("keys.revoke", "Отозвать", "Revoke"),
    (
        "keys.revoke_main",
        "Отозвать основной ключ",
        "Revoke the main key",
    ),
    (
        "keys.revoke_main_hint",
        "Системы, которые вызывают API с основным ключом, сразу получат отказ. Ключи ваших систем продолжат работать.",
        "Systems calling the API with the main key are refused at once. The keys of your systems go on working.",
    ),
    ("keys.add", "Добавить ключ", "Add a key"),
    ("keys.addresses", "Адреса", "Addresses"),
    ("keys.any_address", "с любого адреса", "from any address"),
    (
        "keys.addresses_hint",
        "IP-адреса и сети, с которых ключ принимается, через запятую (например, 192.0.2.10, 10.0.0.0/24); пусто — с любого адреса. С других адресов запрос получит отказ 403, даже с верным токеном.",
        "IP addresses and networks the key is accepted from, separated by commas (e.g. 192.0.2.10, 10.0.0.0/24); empty for any address. From elsewhere a call is refused with 403, even with the right token.",
    ),
    (
        "settings.token_once",
        "Сохраните токен сейчас: он показывается один раз.",
        "Save the token now: it is shown only once.",
    ),
    (
        "settings.token_prefix",
        "Действующий токен начинается с",
        "The current token starts with",
    ),
    (
        "settings.token_hidden",
        "Целиком токен не хранится и не показывается. Если он утерян — выпустите новый.",
        "The whole token is neither stored nor shown. If it is lost, issue a new one.",
    ),
    (
        "settings.grace",
        "Старый токен действует ещё",
        "Keep the old token working for",
    ),
    (
        "settings.rotate",
        "Выпустить новый токен",
        "Issue a new token",
    ),
    (
        "settings.policy",
        "Регистрация сотрудников",
        "Employee registration",
    ),
    (
        "settings.approval",
        "Новые сотрудники ждут подтверждения администратора",
        "New employees wait for the admin's approval",
    ),
    (
        "settings.who_registers",
        "Кто может войти в мобильное приложение по ИНН организации",
        "Who may log in to the mobile app with the company's INN",
    ),
    (
        "settings.reg_open",
        "Любой, кто знает ИНН: сотрудник сразу включён в рассылку",
        "Anyone who knows the INN: active at once",
    ),
    (
        "settings.reg_open_hint",
        "ИНН организации общедоступен: так может зарегистрироваться и посторонний и получать сообщения «всем».",
        "A company's INN is public: a stranger may register this way too and receive messages sent to everyone.",
    ),
    (
        "settings.reg_approval",
        "Любой, кто знает ИНН, но сообщения — после подтверждения администратором",
        "Anyone who knows the INN, receiving messages once the admin approves them",
    ),
    (
        "settings.reg_approval_hint",
        "Пока сотрудник не подтверждён, сообщения ему не отправляются. Подтвердить можно на странице «Сотрудники».",
        "Until approved, an employee receives no messages. Approve them on the Employees page.",
    ),
    (
        "settings.reg_list",
        "Только сотрудники из списка компании",
        "Only the employees on the company's list",
    ),
    (
        "settings.reg_list_hint",
        "Телефоны и ФИО добавляются на странице «Сотрудники» («Добавить сотрудников») или методом API addstaff. С номером не из списка войти нельзя, SMS не отправляется.",
        "Phones and names are added on the Employees page (Add employees) or with the API's addstaff. A number not on the list cannot log in and gets no SMS.",
    ),
    (
        "settings.retention",
        "Хранение сообщений",
        "Message retention",
    ),
    (
        "settings.keep",
        "Хранить сообщения на сервере",
        "Keep messages on the server",
    ),
    ("settings.keep_forever", "бессрочно", "for good"),
    (
        "settings.ack_remind",
        "Напоминания об ознакомлении",
        "Reminders to acknowledge",
    ),
    (
        "settings.ack_remind_after",
        "Напоминать тем, кто не ознакомился",
        "Remind those who have not acknowledged",
    ),
    ("settings.ack_remind_off", "не напоминать", "no reminders"),
    (
        "settings.sms",
        "SMS, если сообщение не прочитано",
        "SMS when a message is not read",
    ),
    (
        "settings.sms_when",
        "Отправить SMS тем, кто не прочитал",
        "Send an SMS to those who have not read it",
    ),
    ("settings.sms_after", "через {} мин", "after {} min"),
    (
        "settings.sms_for_ack",
        "Только сообщения, требующие ознакомления",
        "Only messages to be acknowledged",
    ),
    ("settings.sms_for_all", "Все сообщения", "Every message"),
    (
        "settings.sms_which",
        "Для каких сообщений",
        "For which messages",
    ),
    (
        "settings.sms_hint",
        "Сотрудник без приложения или не открывший сообщение за это время один раз получит его заголовок и текст по SMS (до 268 знаков, с названием компании). Действует для сообщений, отправленных после включения; отключённым сотрудникам и отозванные сообщения не отправляются. В истории сообщения видно, ушло ли SMS.",
        "An employee without the app, or who has not opened the message by then, gets its title and text by SMS once (up to 268 characters, with the company's name). Applies to messages sent after it is turned on; nothing goes to disabled employees or for recalled messages. The message's history shows whether the SMS went.",
    ),
    ("settings.sms_month", "SMS в этом месяце", "SMS this month"),
    (
        "settings.sms_unavailable",
        "Оператор сервиса не подключил SMS для непрочитанных сообщений.",
        "The service's operator has not enabled SMS of unread messages.",
    ),
    (
        "settings.ack_remind_hint",
        "Для сообщений, требующих ознакомления: сотрудник, который не нажал «Ознакомлен(а)» за это время, один раз получит push-уведомление «Напоминание». Действует для сообщений, отправленных после включения.",
        "For messages that ask to be acknowledged: an employee who has not pressed “I have read it” by then gets one “Reminder” push notification. Applies to messages sent after it is turned on.",
    ),
    (
        "settings.retention_hint",
        "Сообщения старше срока удаляются с сервера раз в час вместе с историей статусов: их больше нет в кабинете, в getmessage и getmessagestatus. В приложениях сотрудников они остаются.",
        "Messages older than this are deleted from the server once an hour with their status history: they are gone from the cabinet, getmessage and getmessagestatus. The employees' apps keep their copies.",
    ),
    ("settings.password", "Пароль", "Password"),
    ("settings.current", "Текущий пароль", "Current password"),
    ("settings.new", "Новый пароль", "New password"),
    (
        "settings.confirm",
        "Новый пароль ещё раз",
        "New password again",
    ),
    ("settings.change", "Сменить пароль", "Change password"),
    (
        "settings.wrong_current",
        "Текущий пароль введён неверно",
        "The current password is wrong",
    ),
    (
        "settings.mismatch",
        "Новые пароли не совпадают",
        "The new passwords differ",
    ),
    (
        "grace.0",
        "ни минуты (сразу отключить)",
        "not at all (revoke now)",
    ),
    ("grace.3600", "1 час", "1 hour"),
    ("grace.86400", "1 сутки", "1 day"),
    ("grace.604800", "7 дней", "7 days"),
    ("grace.2592000", "30 дней", "30 days"),
    ("docs.title", "Документация", "Documentation"),
    ("op.title", "Партнёры", "Partners"),
    ("op.created", "Создан партнёр", "Partner created:"),
    ("op.disabled", "отключён", "disabled"),
    ("op.enabled", "работает", "active"),
    ("op.disable", "Отключить", "Disable"),
    ("op.enable", "Включить", "Enable"),
    ("op.reset", "Сбросить пароль", "Reset password"),
    ("op.erase", "Удалить", "Delete"),
    (
        "op.erase_hint",
        "Сотрудники, сообщения, журнал, группы, шаблоны, запланированные рассылки, вебхук и токены компании удаляются без возможности восстановления. Приложения сотрудников сохранят свои копии сообщений.",
        "The company's employees, messages, journal, groups, templates, scheduled sends, webhook and tokens are deleted for good. The employees' apps keep their own copies of the messages.",
    ),
    (
        "op.erase_confirm",
        "ИНН компании, для подтверждения",
        "The company's INN, to confirm",
    ),
    ("op.erase_submit", "Удалить навсегда", "Delete for good"),
    ("op.rename", "Изменить название", "Change the name"),
    ("op.login_code", "вход с кодом", "login code"),
    (
        "op.login_code_hint",
        "Администратор входит с кодом из приложения; сброс пароля отключит код",
        "The admin logs in with a code from an app; a password reset turns the code off",
    ),
    ("op.rate", "Лимит API", "API limit"),
    ("op.sms_limit", "Лимит SMS", "SMS limit"),
    (
        "op.sms_limit_label",
        "SMS непрочитанных сообщений в месяц (пусто — как у сервера, 0 — не отправлять)",
        "SMS of unread messages a month (empty: the server's, 0: none)",
    ),
    (
        "op.rate_label",
        "Вызовов в секунду (пусто — как у сервера, 0 — без лимита)",
        "Calls a second (empty: the server's, 0: no limit)",
    ),
    ("op.create", "Новый партнёр", "New partner"),
    ("op.create_submit", "Создать партнёра", "Create partner"),
    ("op.search_hint", "ИНН или название", "INN or name"),
    ("op.empty", "Партнёров пока нет.", "No partners yet."),
    (
        "op.none_found",
        "Партнёров не нашлось: измените поиск.",
        "No partners found: change the search.",
    ),
    (
        "done.enabled",
        "Сотрудник включён в рассылку",
        "The employee is active again",
    ),
    (
        "done.disabled",
        "Сотрудник отключён от рассылки",
        "The employee no longer receives messages",
    ),
    ("done.renamed", "ФИО сохранено", "The name is saved"),
    (
        "done.bulk_enabled",
        "Включено в рассылку (подтверждено)",
        "Made active (approved)",
    ),
    ("done.bulk_disabled", "Отключено от рассылки", "Disabled"),
    (
        "done.bulk_none",
        "Никто не выбран: отметьте сотрудников в списке",
        "Nobody is selected: tick employees in the list",
    ),
    ("emp.pick", "Выбрать", "Select"),
    (
        "emp.pick_page",
        "Выбрать всех на странице",
        "Select everyone on this page",
    ),
    ("emp.ticked", "Отмеченные", "Ticked"),
    ("emp.listed", "Все найденные", "Everyone found"),
    ("emp.listed_all", "Все сотрудники", "All employees"),
    (
        "emp.bulk_enable",
        "Включить / подтвердить",
        "Enable / approve",
    ),
    ("emp.bulk_disable", "Отключить", "Disable"),
    (
        "emp.bulk_confirm",
        "Изменить состояние всех найденных сотрудников?",
        "Change the state of everyone found?",
    ),
    ("emp.export", "Выгрузить в CSV", "Download CSV"),
    ("emp.bulk_write", "Написать", "Write to them"),
    (
        "done.write_none",
        "Среди отмеченных нет сотрудников в рассылке: написать некому",
        "None of the ticked employees is active: nobody to write to",
    ),
    (
        "done.deleted",
        "Сотрудник и его сообщения удалены",
        "The employee and their messages are deleted",
    ),
    (
        "done.token_rotated",
        "Выпущен новый токен",
        "A new token is issued",
    ),
    (
        "done.key_added",
        "Ключ добавлен: сохраните его токен сейчас",
        "The key is added: save its token now",
    ),
    (
        "done.key_revoked",
        "Ключ отозван: его токен больше не принимается",
        "The key is revoked: its token is no longer accepted",
    ),
    (
        "done.key_old_ended",
        "Прежний токен отключён: принимается только новый",
        "The old token is ended: only the new one is accepted",
    ),
    (
        "done.key_end",
        "Срок работы ключа сохранён",
        "The key's end date is saved",
    ),
    (
        "done.key_addresses",
        "Адреса ключа сохранены",
        "The key's addresses are saved",
    ),
    (
        "done.key_access",
        "Доступ ключа сохранён: он действует с первого же вызова",
        "The key's access is saved: it holds from the very next call",
    ),
    (
        "done.password_changed",
        "Пароль изменён",
        "The password is changed",
    ),
    (
        "done.policy_saved",
        "Правило регистрации сохранено",
        "The registration policy is saved",
    ),
    (
        "done.sms_fallback_saved",
        "SMS для непрочитанных сообщений сохранены",
        "The SMS of unread messages are saved",
    ),
    (
        "done.auto_reminders_saved",
        "Напоминания об ознакомлении сохранены",
        "The reminders to acknowledge are saved",
    ),
    (
        "done.retention_saved",
        "Срок хранения сообщений сохранён",
        "The message retention is saved",
    ),
    (
        "done.partner_created",
        "Партнёр создан",
        "The partner is created",
    ),
    (
        "done.partner_renamed",
        "Название организации изменено",
        "The organisation's name is changed",
    ),
    (
        "done.partner_rate",
        "Лимит вызовов API сохранён",
        "The API call limit is saved",
    ),
    (
        "done.partner_sms_limit",
        "Лимит SMS сохранён",
        "The SMS limit is saved",
    ),
    (
        "done.code_imposed",
        "Вход с кодом обязателен для всех учётных записей организации; сеансы без кода завершены",
        "A login code is now required of every account of the company; sessions without one have ended",
    ),
    (
        "done.code_lifted",
        "Оператор больше не требует вход с кодом (требование самой организации, если есть, остаётся)",
        "The operator no longer requires a login code (the company's own requirement, if any, stays)",
    ),
    (
        "done.code_policy_unchanged",
        "Требование входа с кодом не изменилось",
        "The login code requirement is unchanged",
    ),
    (
        "done.partner_disabled",
        "Партнёр отключён",
        "The partner is disabled",
    ),
    (
        "done.partner_erased",
        "Компания удалена со всеми её данными",
        "The company is deleted with all its data",
    ),
    (
        "done.partner_enabled",
        "Партнёр включён",
        "The partner is enabled",
    ),
    (
        "done.password_reset",
        "Пароль партнёра изменён, его сеансы завершены",
        "The partner's password is reset and its sessions ended",
    ),
];

static INDEX: LazyLock<HashMap<&'static str, (&'static str, &'static str)>> = LazyLock::new(|| {
    CATALOGUE
        .iter()
        .map(|(k, ru, en)| (*k, (*ru, *en)))
        .collect()
});

/// The translator a template holds: `{{ l.t.s("nav.messages") }}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tr(pub Lang);

impl Tr {
    pub fn get(&self, key: &str) -> Option<&'static str> {
        INDEX.get(key).map(|(ru, en)| match self.0 {
            Lang::Ru => *ru,
            Lang::En => *en,
        })
    }

    /// The text for a key; an unknown key shows as itself (and fails the catalogue test).
    pub fn s(&self, key: &str) -> &'static str {
        self.get(key).unwrap_or_else(|| {
            tracing::warn!(key, "missing translation");
            "?"
        })
    }

    /// A message status or history step (`queued`, `read`, `created` …).
    pub fn status(&self, code: &str) -> &'static str {
        self.get(&format!("status.{code}")).unwrap_or("?")
    }

    /// An employee's state (`active`, `disabled`, `pending`).
    pub fn state(&self, code: &str) -> &'static str {
        self.get(&format!("state.{code}")).unwrap_or("?")
    }

    /// A refusal or other phrase written where its rule lives, in this language.
    pub fn phrase<'p>(&self, p: &'p Phrase) -> &'p str {
        p.get(self.0)
    }

    /// Stored words (a history entry, a failure's reason): a message's source in words, what
    /// our patterns wrote in this language, anything else (a provider's answer) as it is.
    pub fn detail(&self, d: &str) -> String {
        let source = |code: &str| self.get(&format!("source.{code}"));
        if let Some(source) = source(d) {
            return source.to_owned();
        }
        if let Some(text) = crate::phrase::with_source_words(d, self.0, source) {
            return text;
        }
        self.stored(d)
    }

    /// Words stored in Russian (a journal entry's detail): in English what our patterns wrote.
    pub fn stored(&self, d: &str) -> String {
        match self.0 {
            Lang::Ru => d.to_owned(),
            Lang::En => crate::phrase::stored_english_or_as_is(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_used_by_a_template_is_in_the_catalogue() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut missing = vec![];
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for part in text.split("t.s(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                if Tr(Lang::Ru).get(key).is_none() {
                    missing.push(key.to_owned());
                }
            }
        }
        assert!(missing.is_empty(), "missing keys: {missing:?}");
    }

    #[test]
    fn keys_are_unique_and_both_languages_filled() {
        assert_eq!(INDEX.len(), CATALOGUE.len());
        assert!(
            CATALOGUE
                .iter()
                .all(|(_, ru, en)| !ru.is_empty() && !en.is_empty())
        );
        assert_eq!(Tr(Lang::En).s("nav.messages"), "Messages");
        assert_eq!(Tr(Lang::Ru).status("no_device"), "Нет устройства");
    }
}
