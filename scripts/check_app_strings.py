"""Checks that the apps' words exist in both languages: Russian first, English available.

Android: every R.string.x the app uses is in values/strings.xml (Russian) and in
values-en/strings.xml, with the same format arguments. iOS: every key of tr("…") and
String(localized: "…") in the Swift sources has an English entry in its target's
Resources/en.lproj/Localizable.strings. No Android SDK or Swift toolchain runs here,
so this reads the sources; exits 1 listing what is missing.
"""
import pathlib
import re
import sys
import xml.etree.ElementTree as ET

ROOT = pathlib.Path(__file__).resolve().parent.parent
problems = []


def android():
    res = ROOT / "mobile-android/app/src/main/res"
    tables = {}
    for folder in ("values", "values-en"):
        tree = ET.parse(res / folder / "strings.xml")
        tables[folder] = {e.get("name"): e.text or "" for e in tree.getroot().iter("string")}
    ru, en = tables["values"], tables["values-en"]
    for name in sorted(set(ru) ^ set(en)):
        problems.append(f"android: string {name!r} is in one language only")
    args = lambda text: sorted(re.findall(r"%\d+\$[sd]", text))
    for name in sorted(set(ru) & set(en)):
        if args(ru[name]) != args(en[name]):
            problems.append(f"android: {name!r} has other format arguments in English")
    # ru/simo/core holds the generated bindings, whose doc comments quote Russian.
    for kt in sorted((ROOT / "mobile-android/app/src/main/java/ru/simo/app").rglob("*.kt")):
        text = kt.read_text(encoding="utf-8")
        for name in re.findall(r"R\.string\.(\w+)", text):
            if name not in ru:
                problems.append(f"android: {kt.name} uses R.string.{name}, not in strings.xml")
        for literal in re.findall(r'"([^"\n]*[А-Яа-яЁё][^"\n]*)"', text):
            problems.append(f"android: {kt.name} shows Russian not from resources: {literal!r}")


def swift_key(literal):
    # As String.LocalizationValue writes an interpolation: an Int is %lld, anything else %@.
    literal = re.sub(r"\\\(Int\([^()]*\)\)", "%lld", literal)
    return re.sub(r"\\\([^()]*\)", "%@", literal)


def ios():
    for target in ("SimoUI", "SimoCore"):
        source = ROOT / "mobile-ios/Sources" / target
        strings = source / "Resources/en.lproj/Localizable.strings"
        table = dict(re.findall(r'^"(.*)"\s*=\s*"(.*)";\s*$', strings.read_text(encoding="utf-8"), re.M))
        used = set()
        for swift in sorted(source.glob("*.swift")):
            text = swift.read_text(encoding="utf-8")
            for literal in re.findall(r'(?:\btr\(|localized: )"((?:[^"\\]|\\.)*)"', text):
                key = swift_key(literal)
                used.add(key)
                if key not in table:
                    problems.append(f"ios: {target}/{swift.name}: no English for {key!r}")
        for key in sorted(set(table) - used):
            problems.append(f"ios: {target}: English for {key!r}, which nothing uses")
    for swift in sorted((ROOT / "mobile-ios").rglob("*.swift")):
        if "generated" in swift.parts or "Tests" in swift.parts:
            continue
        for line in swift.read_text(encoding="utf-8").splitlines():
            code = line.split("//")[0]
            for literal in re.findall(r'"([^"]*[А-Яа-яЁё][^"]*)"', code):
                if f'tr("{literal}"' not in code and f'localized: "{literal}"' not in code:
                    problems.append(f"ios: {swift.name} shows Russian not through tr(): {literal!r}")


def ios_app_bundle():
    # The keys APNs alerts name (`title-loc-key`) are looked up by the system in the app's
    # own bundle: each must be there in both languages, with the same arguments.
    folder = ROOT / "mobile-ios/App/Resources"
    tables = {}
    for lang in ("ru", "en"):
        text = (folder / f"{lang}.lproj/Localizable.strings").read_text(encoding="utf-8")
        tables[lang] = dict(re.findall(r'^"(.*)"\s*=\s*"(.*)";\s*$', text, re.M))
    apns = (ROOT / "backend/src/push/apns.rs").read_text(encoding="utf-8")
    for key in re.findall(r'_KEY: &str = "([^"]+)"', apns):
        for lang, table in tables.items():
            if key not in table:
                problems.append(f"ios: App/Resources/{lang}.lproj has no {key!r}, which APNs alerts name")
    for key in sorted(set(tables["ru"]) & set(tables["en"])):
        if re.findall(r"%@|%lld", tables["ru"][key]) != re.findall(r"%@|%lld", tables["en"][key]):
            problems.append(f"ios: App/Resources: {key!r} has other arguments in English")
    for key in sorted(set(tables["ru"]) ^ set(tables["en"])):
        problems.append(f"ios: App/Resources: {key!r} is in one language only")


android()
ios()
ios_app_bundle()
for p in problems:
    print(p)
if problems:
    sys.exit(1)
print("app strings: Russian and English for every word the apps show")
