#!/usr/bin/env python3
"""Counts the `public` (and `package`) declarations of each module under Sources/.

    scripts/public-api.py                 the working tree
    scripts/public-api.py --at REV        a commit (for the before-and-after in docs/public-api.md)
    scripts/public-api.py --unused        also list each public declaration that no other module
                                          (nor Benchmarks/ or Fuzz/) names: each must be used by
                                          another product's module, or named in a DocC article,
                                          or listed with its reason in docs/public-api.md

A declaration is a line whose access modifier is `public` or `open` (attributes may come first);
`public import` lines and extension headers are not counted.
"""
import argparse, collections, os, re, subprocess, sys

DECLARATION = re.compile(r'^\s*(?:@[\w.]+(?:\([^)]*\))?\s+)*(public|open|package)\s+(?!import\b)'
                         r'(?:(?:static|final|class|override|nonisolated|mutating|convenience|required|indirect|lazy|dynamic)\s+)*'
                         r'(func|var|let|init\??|subscript|struct|class|enum|protocol|actor|typealias|case|extension|associatedtype)\b\s*([A-Za-z_]\w*)?')

def files(revision):
    if revision:
        names = subprocess.run(['git', 'ls-tree', '-r', '--name-only', revision, 'Sources', 'Benchmarks', 'Fuzz'],
                               capture_output=True, text=True, check=True).stdout.split()
        for name in names:
            if name.endswith('.swift'):
                yield name, subprocess.run(['git', 'show', f'{revision}:{name}'], capture_output=True, text=True).stdout
    else:
        for top in ['Sources', 'Benchmarks', 'Fuzz']:
            for root, dirs, names in os.walk(top):
                dirs[:] = [d for d in dirs if not d.startswith('.build')]
                for name in names:
                    if name.endswith('.swift'):
                        path = os.path.join(root, name)
                        yield path, open(path, encoding='utf-8').read()

def module_of(path):
    parts = path.split('/')
    return parts[1] if parts[0] == 'Sources' else parts[0]

def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--at', metavar='REV')
    parser.add_argument('--unused', action='store_true')
    options = parser.parse_args()
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    counts = collections.defaultdict(collections.Counter)
    declared = []  # (module, name, kind, path, line)
    sources = {}
    for path, text in files(options.at):
        module = module_of(path)
        sources[path] = text
        if not path.startswith('Sources/'):
            continue
        for number, line in enumerate(text.split('\n'), 1):
            match = DECLARATION.match(line)
            if not match or match.group(2) == 'extension':
                continue
            access = 'public' if match.group(1) in ('public', 'open') else 'package'
            counts[module][access] += 1
            if access == 'public' and match.group(3) and match.group(2) != 'case':
                declared.append((module, match.group(3), match.group(2), path, number))
    print(f"{'module':<28}{'public':>8}{'package':>9}")
    for module in sorted(counts):
        print(f"{module:<28}{counts[module]['public']:>8}{counts[module]['package']:>9}")
    print(f"{'total':<28}{sum(c['public'] for c in counts.values()):>8}{sum(c['package'] for c in counts.values()):>9}")
    if options.unused:
        words = collections.defaultdict(set)
        for path, text in sources.items():
            module = module_of(path)
            for word in set(re.findall(r'[A-Za-z_]\w*', text)):
                words[word].add(module)
        print('\npublic declarations no other module names:')
        for module, name, kind, path, number in sorted(declared):
            if not (words.get(name, set()) - {module}):
                print(f"  {module}  {kind} {name}  ({path}:{number})")

if __name__ == '__main__':
    sys.exit(main())
