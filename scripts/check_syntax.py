"""Parses the Swift files given as arguments with tree-sitter-swift; exits 1 on a syntax error.

Called by scripts/check-swift.sh. This is a parse, not a compile: types and names are not checked.
"""
import sys

import tree_sitter
import tree_sitter_swift

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language()))

# The grammar does not know `@_documentation(visibility: private)`, an attribute the UniFFI
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
        cleaned = "\n".join(clean(line) for line in lines)
        found = errors(PARSER.parse(cleaned.encode("utf-8")).root_node, [])
        for node in found[:5]:
            row, col = node.start_point
            kind = "missing " + node.type if node.is_missing else "syntax error"
            print(f"{path}:{row + 1}:{col + 1}: {kind}: {lines[row].strip()[:100]}")
        failed += bool(found)
        print(f"{'FAIL' if found else 'ok  '} {path} ({len(lines)} lines)")
    print(f"{len(paths)} Swift files parsed, {failed} with syntax errors")
    return 1 if failed or not paths else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
