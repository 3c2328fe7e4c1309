#!/usr/bin/env python3
"""Counts the `public` (and `package`) declarations of each module under Sources/.

    scripts/public-api.py                 the working tree
    scripts/public-api.py --at REV        a commit (for the before-and-after in docs/public-api.md)
    scripts/public-api.py --unused        also list each public declaration that no other module
                                          (nor Benchmarks/ or Fuzz/) names and that neither a DocC
                                          article nor docs/public-api.md names (itself or a type
                                          that encloses it): each of those needs a reason there

A declaration is a line whose access modifier is `public` or `open` (attributes may come first);
`public import` lines and extension headers are not counted. `@_spi(...) public` declarations are
counted apart (spi): they are not API, only reachable with an explicit `@_spi` import.
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

TYPE_OPENING = re.compile(r'^(\s*)(?:@[\w.]+(?:\([^)]*\))?\s+)*(?:(?:public|package|internal|fileprivate|private|open|final|indirect)\s+)*'
                          r'(?:struct|class|enum|actor|protocol|extension)\s+([A-Za-z_][\w.]*)')

def enclosing(text, number):
    """The names of the types (or extended types) around line `number`, outermost first."""
    stack = []
    for line in text.split('\n')[:number - 1]:
        opening = TYPE_OPENING.match(line)
        indent = len(line) - len(line.lstrip(' '))
        if line.strip() and not line.strip().startswith(('//', '}', ')', ']')):
            while stack and stack[-1][1] >= indent:
                stack.pop()
        if opening and line.rstrip().endswith('{'):
            stack.append((opening.group(2).split('<')[0], indent))
    return [name for name, _ in stack]

def documented_names():
    """Names in backticks in docs/public-api.md and in double backticks in the DocC articles."""
    names = set()
    if os.path.exists('docs/public-api.md'):
        names |= set(re.findall(r'`([A-Za-z_][\w.]*)`', open('docs/public-api.md', encoding='utf-8').read()))
    modules = set(os.listdir('Sources'))
    for root, _, files in os.walk('Sources'):
        for name in files:
            if name.endswith('.md') and '.docc' in root:
                text = open(os.path.join(root, name), encoding='utf-8').read()
                for symbol in re.findall(r'``([^`]+)``', text):
                    parts = [part.split('(')[0].split('-')[0] for part in symbol.split('/')]
                    if parts and parts[0] in modules:
                        parts = parts[1:]
                    names |= {'.'.join(parts[:i]) for i in range(1, len(parts) + 1)}
    return names

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
            if access == 'public' and '@_spi(' in line.split(match.group(1))[0]:
                access = 'spi'
            counts[module][access] += 1
            if access == 'public' and match.group(3) and match.group(2) != 'case':
                declared.append((module, match.group(3), match.group(2), path, number, enclosing(text, number)))
    print(f"{'module':<28}{'public':>8}{'spi':>6}{'package':>9}")
    for module in sorted(counts):
        print(f"{module:<28}{counts[module]['public']:>8}{counts[module]['spi']:>6}{counts[module]['package']:>9}")
    print(f"{'total':<28}{sum(c['public'] for c in counts.values()):>8}{sum(c['spi'] for c in counts.values()):>6}"
          f"{sum(c['package'] for c in counts.values()):>9}")
    if options.unused:
        words = collections.defaultdict(set)
        for path, text in sources.items():
            module = module_of(path)
            for word in set(re.findall(r'[A-Za-z_]\w*', text)):
                words[word].add(module)
        named = documented_names()
        spi_types = {name for module, name, kind, path, number, outer in declared if False}
        for path, text in sources.items():
            spi_types |= set(re.findall(r'@_spi\(\w+\)\s+public\s+(?:final\s+)?(?:struct|class|enum|actor|protocol)\s+(\w+)', text))
        missing = []
        for module, name, kind, path, number, outer in sorted(declared):
            if words.get(name, set()) - {module} or (outer and outer[0] in spi_types):
                continue
            qualified = outer + [name]
            if any('.'.join(qualified[:i]) in named for i in range(1, len(qualified) + 1)):
                continue
            missing.append(f"  {module}  {kind} {'.'.join(qualified)}  ({path}:{number})")
        print(f'\npublic declarations that no other module uses and no document names: {len(missing)}')
        print('\n'.join(missing))

if __name__ == '__main__':
    sys.exit(main())
