// dbt's node selection, as uxt's src/graph/select/ evaluates it: the methods, the graph
// operators `+x`, `N+x`, `x+N` and `@x`, union by space, intersection by comma, exclusion, and
// eager selection of the tests of selected nodes. The same case table
// (tests/selection/cases.txt over tests/selection/fixture.json) drives the Rust tests and, in
// the browser test, this file, so the two cannot drift apart. Error messages are the Rust code's.
var UxtSelect = (function () {
  'use strict';

  var METHODS = ['fqn', 'tag', 'source', 'path', 'file', 'package', 'config', 'test_name', 'test_type',
    'resource_type', 'exposure', 'metric', 'semantic_model', 'group', 'access'];
  var STATE_METHODS = ['state', 'result', 'source_status'];
  var UNSUPPORTED_METHODS = ['saved_query', 'unit_test', 'version'];
  var RESOURCE_TYPES = ['model', 'analysis', 'test', 'snapshot', 'operation', 'seed', 'rpc', 'sql_operation',
    'doc', 'source', 'macro', 'exposure', 'metric', 'group', 'saved_query', 'semantic_model', 'unit_test', 'fixture'];
  var TEST_TYPES = ['generic', 'schema', 'singular', 'data', 'unit'];

  function fail(message) { throw new Error(message); }
  function asciiLower(text) { return text.replace(/[A-Z]+/g, function (upper) { return upper.toLowerCase(); }); }
  // Rust's `split_whitespace`: Unicode's White_Space characters.
  var WHITE_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
  function didYouMean(suggestion) { return suggestion === null ? '' : '; did you mean `' + suggestion + '`?'; }

  // Unrestricted Damerau-Levenshtein distance over characters, as the strsim crate computes it.
  function distance(a, b) {
    a = Array.from(a); b = Array.from(b);
    if (!a.length) return b.length;
    if (!b.length) return a.length;
    var width = b.length + 2, max = a.length + b.length, d = new Array((a.length + 2) * width).fill(0);
    var at = function (i, j) { return i * width + j; };
    d[at(0, 0)] = max;
    for (var i = 0; i <= a.length; i++) { d[at(i + 1, 0)] = max; d[at(i + 1, 1)] = i; }
    for (var j = 0; j <= b.length; j++) { d[at(0, j + 1)] = max; d[at(1, j + 1)] = j; }
    var lastRow = new Map();
    for (i = 1; i <= a.length; i++) {
      var db = 0;
      for (j = 1; j <= b.length; j++) {
        var k = lastRow.get(b[j - 1]) || 0, l = db, cost = 1;
        if (a[i - 1] === b[j - 1]) { cost = 0; db = j; }
        d[at(i + 1, j + 1)] = Math.min(d[at(i, j)] + cost, d[at(i, j + 1)] + 1, d[at(i + 1, j)] + 1,
          d[at(k, l)] + (i - k - 1) + 1 + (j - l - 1));
      }
      lastRow.set(a[i - 1], i);
    }
    return d[at(a.length + 1, b.length + 1)];
  }

  // The closest candidate within one edit per three characters, or null.
  function suggest(unknown, candidates) {
    var best = null, bestDistance = Infinity;
    candidates.forEach(function (candidate) {
      var dist = distance(unknown, candidate);
      var limit = Math.max(Math.floor(Math.max(Array.from(unknown).length, Array.from(candidate).length) / 3), 1);
      if (dist <= limit && dist < bestDistance) { best = candidate; bestDistance = dist; }
    });
    return best;
  }

  function hasWildcard(text) { return /[*?[\]]/.test(text); }

  // ---- globs, as the globset crate reads them (no backslash escapes, unclosed `[` literal) ----
  function globRegex(pattern, literalSeparator) {
    var chars = Array.from(pattern), pos = 0, prev = null, cur = null, unclosedClass = false;
    var branches = [[]], stack = [];
    function globError(kind) { return 'error parsing glob \'' + pattern + '\': ' + kind; }
    function bump() { prev = cur; cur = pos < chars.length ? chars[pos++] : null; return cur; }
    function peek() { return pos < chars.length ? chars[pos] : null; }
    function last() {
      if (!branches.length) throw globError('unopened alternate group; missing \'{\' (maybe escape \'}\' with \'[}]\'?)');
      return branches[branches.length - 1];
    }
    function push(token) { last().push(token); }
    function parseStar() {
      var before = prev;
      if (peek() !== '*') { push({ t: 'star' }); return; }
      bump();
      if (!last().length) {
        if (peek() !== null && peek() !== '/') { push({ t: 'star' }); push({ t: 'star' }); } else { push({ t: 'rprefix' }); bump(); }
        return;
      }
      if (before !== '/' && (branches.length <= 1 || (before !== ',' && before !== '{'))) {
        push({ t: 'star' }); push({ t: 'star' }); return;
      }
      var suffix;
      var next = peek();
      if (next === null) { bump(); suffix = true; }
      else if ((next === ',' || next === '}') && branches.length >= 2) suffix = true;
      else if (next === '/') { bump(); suffix = false; }
      else { push({ t: 'star' }); push({ t: 'star' }); return; }
      var top = last().pop();
      if (top.t === 'rprefix' || top.t === 'rsuffix') push(top);
      else push({ t: suffix ? 'rsuffix' : 'rany' });
    }
    function parseClass() {
      var saved = [pos, prev, cur], ranges = [], negated = false, first = true, inRange = false;
      if (peek() === '!' || peek() === '^') { bump(); negated = true; }
      for (;;) {
        var c = bump();
        if (c === null) {
          pos = saved[0]; prev = saved[1]; cur = saved[2]; unclosedClass = true;
          push({ t: 'lit', c: '[' });
          return;
        }
        if (c === ']' && !first) break;
        if (c === ']' || (c === '-' && first)) ranges.push([c, c]);
        else if (c === '-' && inRange) {
          var r = ranges[ranges.length - 1];
          r[1] = '-';
          if (r[1] < r[0]) throw globError('invalid range; \'' + r[0] + '\' > \'' + r[1] + '\'');
          inRange = false;
        } else if (c === '-') inRange = true;
        else if (inRange) {
          var range = ranges[ranges.length - 1];
          range[1] = c;
          if (range[1] < range[0]) throw globError('invalid range; \'' + range[0] + '\' > \'' + range[1] + '\'');
          inRange = false;
        } else ranges.push([c, c]);
        first = false;
      }
      if (inRange) ranges.push(['-', '-']);
      push({ t: 'class', negated: negated, ranges: ranges });
    }
    for (var c = bump(); c !== null; c = bump()) {
      if (c === '?') push({ t: 'any' });
      else if (c === '*') parseStar();
      else if (c === '[' && !unclosedClass) parseClass();
      else if (c === '{') { stack.push(branches.length); branches.push([]); }
      else if (c === '}') {
        if (!stack.length) throw globError('unopened alternate group; missing \'{\' (maybe escape \'}\' with \'[}]\'?)');
        var start = stack.pop();
        var alternates = branches.splice(start);
        push({ t: 'alt', alternates: alternates });
      } else if (c === ',' && stack.length) branches.push([]);
      else push({ t: 'lit', c: c });
    }
    if (stack.length) throw globError('unclosed alternate group; missing \'}\' (maybe escape \'{\' with \'[{]\'?)');
    var tokens = branches[0];
    var escape = function (ch) { return ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&'); };
    var escapeInClass = function (ch) { return ch.replace(/[\\\]\[^-]/g, '\\$&'); };
    function toRegex(list) {
      return list.map(function (token) {
        switch (token.t) {
          case 'lit': return escape(token.c);
          case 'any': return literalSeparator ? '[^/]' : '.';
          case 'star': return literalSeparator ? '[^/]*' : '.*';
          case 'rprefix': return '(?:/?|.*/)';
          case 'rsuffix': return '/.*';
          case 'rany': return '(?:/|/.*/)';
          case 'class':
            return '[' + (token.negated ? '^' : '') + token.ranges.map(function (r) {
              return r[0] === r[1] ? escapeInClass(r[0]) : escapeInClass(r[0]) + '-' + escapeInClass(r[1]);
            }).join('') + ']';
          default: {
            var parts = token.alternates.map(toRegex).filter(function (part) { return part !== ''; });
            return parts.length ? '(?:' + parts.join('|') + ')' : '';
          }
        }
      }).join('');
    }
    var body = tokens.length === 1 && tokens[0].t === 'rprefix' ? '.*' : toRegex(tokens);
    return new RegExp('^' + body + '$', 'u');
  }

  function glob(pattern, literalSeparator, expression) {
    try {
      return globRegex(pattern, literalSeparator);
    } catch (message) {
      return fail('invalid value in `' + expression + '`: bad glob pattern `' + pattern + '`: ' + message);
    }
  }

  // A value compared exactly unless it holds wildcards.
  function pattern(text, expression) {
    if (!hasWildcard(text)) return function (candidate) { return candidate === text; };
    var re = glob(text, false, expression);
    return function (candidate) { return re.test(candidate); };
  }

  // dbt's `is_selected_node`: literal parts up to the first wildcard, then one pattern over the
  // rest; a dot-less pattern is also tried on the leaf name; with and without the package.
  function fqnPattern(value, expression) {
    var parts = value.split('.');
    var wildcardAt = parts.findIndex(hasWildcard);
    var prefix = parts.slice(0, wildcardAt < 0 ? parts.length : wildcardAt);
    var tail = wildcardAt < 0 ? null : glob(parts.slice(wildcardAt).join('.'), false, expression);
    var leafGlob = parts.length === 1 ? tail : null;
    function matchesFlat(flat) {
      if (flat.length < parts.length || !prefix.every(function (part, i) { return part === flat[i]; })) return false;
      return tail === null || tail.test(flat.slice(prefix.length).join('.'));
    }
    return function (node, flat, packageParts) {
      var leaf = node.fqn.length ? node.fqn[node.fqn.length - 1] : null;
      var leafMatches = leaf !== null && (leaf === value || (leafGlob !== null && leafGlob.test(leaf)));
      return leafMatches || matchesFlat(flat) || matchesFlat(flat.slice(Math.min(packageParts, flat.length)));
    };
  }

  // `path:`: the file or any folder above it, relative to the project root.
  function pathPattern(value, expression) {
    var normalized = value.replace(/\\/g, '/');
    if (normalized.charAt(0) === '/' || normalized.charAt(1) === ':') {
      fail('invalid value in `' + expression + '`: paths are relative to the project root');
    }
    var path = normalized;
    while (path.indexOf('./') === 0) path = path.slice(2);
    path = path.replace(/\/+$/, '');
    if (path === '' || path === '.') return function () { return true; };
    if (!hasWildcard(path)) {
      return function (file) { return file === path || (file.indexOf(path) === 0 && file.charAt(path.length) === '/'); };
    }
    var re = glob(path, true, expression);
    return function (file) {
      if (re.test(file)) return true;
      for (var at = file.indexOf('/'); at !== -1; at = file.indexOf('/', at + 1)) {
        if (re.test(file.slice(0, at))) return true;
      }
      return false;
    };
  }

  function collection(resourceType) {
    if (resourceType === 'source') return 'sources';
    if (['exposure', 'metric', 'semantic_model', 'saved_query'].indexOf(resourceType) !== -1) return 'exposures';
    return 'nodes';
  }
  function isTest(resourceType) { return resourceType === 'test' || resourceType === 'unit_test'; }
  function config(node) { return node.config && typeof node.config === 'object' ? node.config : {}; }

  function testType(node) {
    if (!isTest(node.resource_type)) return null;
    var declared = config(node).test_type;
    if (typeof declared === 'string') return ['generic', 'singular', 'unit'].indexOf(declared) !== -1 ? declared : null;
    if (node.resource_type === 'unit_test' || node.unique_id.indexOf('unit_test.') === 0) return 'unit';
    return typeof config(node).test_name === 'string' ? 'generic' : 'singular';
  }

  // dbt's config method: walk the keys, then a list by element, a mapping by key, a scalar by
  // value; values compare as strings, booleans and `severity` ignoring case.
  function configMatches(cfg, keys, wanted) {
    var found = cfg;
    for (var i = 0; i < keys.length; i++) {
      if (found === null || typeof found !== 'object' || Array.isArray(found) || !Object.prototype.hasOwnProperty.call(found, keys[i])) return false;
      found = found[keys[i]];
    }
    var ignoreCase = keys.length === 1 && keys[0] === 'severity';
    var equals = function (value) {
      if (typeof value === 'string') return ignoreCase ? asciiLower(value) === asciiLower(wanted) : value === wanted;
      if (typeof value === 'boolean') return asciiLower(wanted) === String(value);
      if (typeof value === 'number') return String(value) === wanted;
      return false;
    };
    if (Array.isArray(found)) return found.some(equals);
    if (found !== null && typeof found === 'object') return Object.prototype.hasOwnProperty.call(found, wanted);
    return equals(found);
  }

  // What one method matches: a function of (node, flat fqn, package parts).
  function matcher(method, value, expression) {
    var methodParts = method.split('.');
    var name = methodParts[0], args = methodParts.slice(1);
    var invalid = function (reason) { return fail('invalid value in `' + expression + '`: ' + reason); };
    if (METHODS.indexOf(name) !== -1) {
      if (value === '') invalid('nothing to match after `' + method + ':`');
      if (name !== 'config' && args.length) invalid('`' + name + '` takes no `.` arguments (only `config.<key>` does)');
    }
    switch (name) {
      case 'fqn': {
        var fqn = fqnPattern(value, expression);
        return function (node, flat, packageParts) { return collection(node.resource_type) === 'nodes' && fqn(node, flat, packageParts); };
      }
      case 'tag': {
        var tag = pattern(value, expression);
        return function (node) { return (node.tags || []).some(tag); };
      }
      case 'source': {
        var parts = value.split('.');
        if (parts.length > 3) invalid('sources are `source_name`, `source_name.table` or `package.source_name.table`');
        var full = parts.length === 1 ? ['*', parts[0], '*'] : parts.length === 2 ? ['*', parts[0], parts[1]] : parts;
        var pkg = pattern(full[0], expression), src = pattern(full[1], expression), table = pattern(full[2], expression);
        return function (node) {
          return collection(node.resource_type) === 'sources' && pkg(node.package_name) &&
            typeof node.source_name === 'string' && src(node.source_name) && table(node.name);
        };
      }
      case 'path': {
        var path = pathPattern(value, expression);
        return function (node) { return path(node.original_file_path); };
      }
      case 'file': {
        var file = pattern(value, expression);
        return function (node) {
          var fileName = node.original_file_path.split('/').pop();
          var dot = fileName.lastIndexOf('.');
          return file(fileName) || file(dot > 0 ? fileName.slice(0, dot) : fileName);
        };
      }
      case 'package': {
        var packagePattern = pattern(value, expression);
        return function (node) { return packagePattern(node.package_name); };
      }
      case 'config':
        if (!args.length) invalid('`config` needs a key, like `config.materialized:view`');
        return function (node) { return collection(node.resource_type) !== 'exposures' && configMatches(config(node), args, value); };
      case 'test_name': {
        var testName = pattern(value, expression);
        return function (node) {
          if (node.resource_type === 'test') return typeof config(node).test_name === 'string' && testName(config(node).test_name);
          return node.resource_type === 'unit_test' && testName(node.name);
        };
      }
      case 'test_type': {
        var types = { generic: ['generic'], schema: ['generic'], singular: ['singular'], data: ['generic', 'singular'], unit: ['unit'] }[value];
        if (!types) invalid('test types are `generic`, `singular`, `data` and `unit`' + didYouMean(suggest(value, TEST_TYPES)));
        return function (node) { return types.indexOf(testType(node)) !== -1; };
      }
      case 'resource_type':
        if (RESOURCE_TYPES.indexOf(value) === -1) invalid('`' + value + '` is not a resource type' + didYouMean(suggest(value, RESOURCE_TYPES)));
        return function (node) { return node.resource_type === value; };
      case 'exposure':
      case 'metric':
      case 'semantic_model': {
        var namedParts = value.split('.');
        if (namedParts.length > 2) invalid(name + 's are `' + name + '_name` or `package.' + name + '_name`');
        var namedPackage = pattern(namedParts.length === 2 ? namedParts[0] : '*', expression);
        var namedName = pattern(namedParts[namedParts.length - 1], expression);
        return function (node) { return node.resource_type === name && namedPackage(node.package_name) && namedName(node.name); };
      }
      case 'group':
        return function (node) { return collection(node.resource_type) === 'nodes' && config(node).group === value; };
      case 'access':
        // dbt models are `protected` unless configured otherwise.
        return function (node) {
          var access = typeof config(node).access === 'string' ? config(node).access : 'protected';
          return node.resource_type === 'model' && access === value;
        };
      default:
        if (STATE_METHODS.indexOf(name) !== -1) {
          fail('`' + name + ':` in `' + expression + '` compares with the artifacts of a previous run (dbt\'s `--state`), which the docs site does not have');
        }
        if (UNSUPPORTED_METHODS.indexOf(name) !== -1) fail('the `' + name + ':` selection method in `' + expression + '` is not supported by uxt');
        return fail('unknown selection method `' + name + '` in `' + expression + '`' + didYouMean(suggest(name, METHODS)));
    }
  }

  function depth(digits, expression) {
    if (digits === '') return Infinity;
    var n = Number(digits);
    if (n > 4294967295) fail('invalid graph operator in `' + expression + '`: depth `' + digits + '` is too large');
    return n;
  }

  // dbt's default method: a path separator means `path:`, a `.sql`/`.py`/`.csv` file `file:`.
  function defaultMethod(value) {
    if (/[/\\]/.test(value)) return 'path';
    return /\.(sql|py|csv)$/.test(asciiLower(value)) ? 'file' : 'fqn';
  }

  // One expression without set operators, such as `2+tag:nightly+1` or `@stg_people`.
  function parseExpression(raw) {
    var bad = function (reason) { return fail('invalid graph operator in `' + raw + '`: ' + reason); };
    var rest = raw, childrensParents = false, parents = null, children = null;
    if (rest.charAt(0) === '@') { childrensParents = true; rest = rest.slice(1); }
    var digits = /^[0-9]*/.exec(rest)[0];
    if (rest.charAt(digits.length) === '+') { parents = depth(digits, raw); rest = rest.slice(digits.length + 1); }
    var plus = rest.lastIndexOf('+');
    if (plus !== -1 && /^[0-9]*$/.test(rest.slice(plus + 1))) { children = depth(rest.slice(plus + 1), raw); rest = rest.slice(0, plus); }
    if (childrensParents && children !== null) bad('`@` and a trailing `+` cannot be combined');
    if (rest === '') bad('nothing to select around the operator');
    if (/^[+@]/.test(rest) || /\+$/.test(rest)) bad('the operators are `+x`, `N+x`, `x+`, `x+N` and `@x`');
    var colon = rest.indexOf(':'), method, value;
    if (colon > 0 && /^[\p{Alphabetic}\p{N}_.]+$/u.test(rest.slice(0, colon))) { method = rest.slice(0, colon); value = rest.slice(colon + 1); }
    else { method = defaultMethod(rest); value = rest; }
    return { match: matcher(method, value, raw), childrensParents: childrensParents, parents: parents, children: children };
  }

  // Values of --select or --exclude: space-separated expressions are a union, the
  // comma-separated parts of one expression an intersection.
  function parseUnion(values) {
    var union = [];
    values.forEach(function (value) {
      value.split(WHITE_SPACE).filter(Boolean).forEach(function (expression) {
        union.push(expression.split(',').map(function (part) {
          if (part === '') fail('invalid selection expression `' + expression + '`: empty part between commas');
          return parseExpression(part);
        }));
      });
    });
    return union;
  }

  // The nodes selection runs on: SelectableNode's fields (unique_id, name, resource_type,
  // package_name, fqn, original_file_path, tags, config, source_name, parents).
  function Graph(input) {
    var seen = new Set();
    var nodes = input.slice().sort(function (a, b) { return a.unique_id < b.unique_id ? -1 : a.unique_id > b.unique_id ? 1 : 0; })
      .filter(function (node) { if (seen.has(node.unique_id)) return false; seen.add(node.unique_id); return true; });
    var index = new Map(nodes.map(function (node, at) { return [node.unique_id, at]; }));
    this.nodes = nodes;
    this.parents = nodes.map(function (node) {
      return Array.from(new Set((node.parents || []).filter(function (id) { return index.has(id); }).map(function (id) { return index.get(id); })));
    });
    var children = nodes.map(function () { return []; });
    this.parents.forEach(function (parents, child) { parents.forEach(function (parent) { children[parent].push(child); }); });
    this.children = children;
    this.flat = nodes.map(function (node) { return [].concat.apply([], node.fqn.map(function (part) { return part.split('.'); })); });
    this.packageParts = nodes.map(function (node) { return node.fqn.length ? node.fqn[0].split('.').length : 0; });
  }

  // `start` and every node within `reach` steps of it along `edges`.
  function walk(start, edges, reach) {
    var seen = new Set(start), frontier = Array.from(start), level = 0;
    while (frontier.length && level < reach) {
      var next = [];
      frontier.forEach(function (at) {
        edges[at].forEach(function (neighbour) { if (!seen.has(neighbour)) { seen.add(neighbour); next.push(neighbour); } });
      });
      frontier = next;
      level++;
    }
    return seen;
  }

  Graph.prototype.criteria = function (criteria) {
    var self = this, matched = new Set();
    this.nodes.forEach(function (node, at) { if (criteria.match(node, self.flat[at], self.packageParts[at])) matched.add(at); });
    var selected = new Set(matched);
    var add = function (set) { set.forEach(function (at) { selected.add(at); }); };
    if (criteria.childrensParents) add(walk(walk(matched, this.children, Infinity), this.parents, Infinity));
    if (criteria.parents !== null) add(walk(matched, this.parents, criteria.parents));
    if (criteria.children !== null) add(walk(matched, this.children, criteria.children));
    // dbt's eager indirect selection: a test whose parent is selected comes along.
    Array.from(selected).forEach(function (at) {
      self.children[at].forEach(function (child) { if (isTest(self.nodes[child].resource_type)) selected.add(child); });
    });
    return selected;
  };

  Graph.prototype.union = function (union) {
    var self = this, result = new Set();
    union.forEach(function (intersection) {
      var sets = intersection.map(function (criteria) { return self.criteria(criteria); });
      sets[0].forEach(function (at) {
        if (sets.every(function (set) { return set.has(at); })) result.add(at);
      });
    });
    return result;
  };

  // dbt semantics: no `select` values means everything; returns the sorted unique ids, or
  // throws an Error whose message says what is wrong with the expression.
  Graph.prototype.select = function (select, exclude) {
    var self = this;
    var include = select.length ? this.union(parseUnion(select)) : new Set(this.nodes.map(function (_, at) { return at; }));
    var excluded = this.union(parseUnion(exclude));
    return this.nodes.filter(function (_, at) { return include.has(at) && !excluded.has(at); })
      .map(function (node) { return node.unique_id; });
  };

  return { graph: function (nodes) { return new Graph(nodes); } };
})();
