"""Parses the app files given as arguments, Swift with tree-sitter-swift and Kotlin (`.kt`,
`.kts`) with tree-sitter-kotlin; exits 1 on a syntax error.

Called by scripts/check-app-syntax.sh. This is a parse, not a compile: types and names are not
checked. Neither app can be compiled here (no Swift toolchain, no Android SDK), so this is what
catches a broken brace in the code only a Mac or Android Studio builds.
"""
import sys

import tree_sitter
import tree_sitter_kotlin
import tree_sitter_swift

PARSERS = {
    ".swift": tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language())),
    ".kt": tree_sitter.Parser(tree_sitter.Language(tree_sitter_kotlin.language())),
}
PARSERS[".kts"] = PARSERS[".kt"]

# The Swift grammar does not know `@_documentation(visibility: private)`, an attribute the UniFFI
# generator emits; lines made only of it are blanked (keeping line numbers) before parsing.
ALLOWED = ("@_documentation(",)

# Valid Swift the grammar also rejects: a closure returning the empty tuple, `{ () }`
# (UniFFI's callback glue). It is parsed as an empty closure instead, same length kept.
REWRITES = (("{ () }", "{    }"),)


def clean(line):
    if line.strip().startswith(ALLOWED):
        return ""
    for bad, good in REWRITES:
        line = line.replace(bad, good)
    return line


def errors(node, found):
    if node.is_error or node.is_missing:
        found.append(node)
    elif node.has_error:
        for child in node.children:
            errors(child, found)
    return found


def main(paths):
    failed = 0
    for path in paths:
        lines = open(path, encoding="utf-8").read().split("\n")
        suffix = path[path.rindex("."):]
        source = "\n".join(clean(line) for line in lines) if suffix == ".swift" else "\n".join(lines)
        found = errors(PARSERS[suffix].parse(source.encode("utf-8")).root_node, [])
        for node in found[:5]:
            row, col = node.start_point
            kind = "missing " + node.type if node.is_missing else "syntax error"
            print(f"{path}:{row + 1}:{col + 1}: {kind}: {lines[row].strip()[:100]}")
        failed += bool(found)
        print(f"{'FAIL' if found else 'ok  '} {path} ({len(lines)} lines)")
    swift = sum(path.endswith(".swift") for path in paths)
    print(f"{swift} Swift and {len(paths) - swift} Kotlin files parsed, {failed} with syntax errors")
    return 1 if failed or not paths else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
