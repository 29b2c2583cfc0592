// The uxt docs site. Renders window.UXT_DOCS (written by `uxt docs generate`) into the page.
// Every string from the project reaches the DOM through text nodes; descriptions arrive as HTML
// that uxt rendered from Markdown with raw HTML escaped. Lists render only what is visible, so
// projects of thousands of nodes stay responsive.
(function () {
  'use strict';

  var DATA = window.UXT_DOCS || { nodes: [], project: 'uxt' };
  var NODES = DATA.nodes;
  var byId = new Map();
  var children = new Map();
  // `${unique_id}\u0000${column}` -> [[child unique_id, child column], ...]
  var usedBy = new Map();
  var TYPES = ['model', 'seed', 'snapshot', 'source', 'analysis', 'exposure', 'test', 'macro'];
  var KEYWORDS = new Set(('select from where and or not as on join left right inner outer full cross group by order ' +
    'having limit offset union all distinct case when then else end with is null in between like ilike exists ' +
    'insert into values update set delete create table view or replace if cast over partition window rows range ' +
    'asc desc nulls first last true false interval using lateral qualify filter within recursive materialized ' +
    'except intersect returning default primary key references unique check constraint alter drop').split(' '));

  NODES.forEach(function (n) {
    byId.set(n.id, n);
    children.set(n.id, []);
  });
  NODES.forEach(function (n) {
    (n.parents || []).forEach(function (p) {
      if (children.has(p)) children.get(p).push(n.id);
    });
    (n.columns || []).forEach(function (c) {
      (c.lineage || []).forEach(function (src) {
        var key = src[0] + '\u0000' + src[1].toLowerCase();
        if (!usedBy.has(key)) usedBy.set(key, []);
        usedBy.get(key).push([n.id, c.name]);
      });
    });
  });

  // ---- small DOM helpers ---------------------------------------------------------------
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'class') el.className = v;
        else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? '' : v);
      });
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, kid) {
    if (kid === null || kid === undefined || kid === false) return;
    if (Array.isArray(kid)) kid.forEach(function (k) { append(el, k); });
    else if (typeof kid === 'object') el.appendChild(kid);
    else el.appendChild(document.createTextNode(String(kid)));
  }
  function svg(tag, attrs) {
    var el = document.createElementNS('http://www.w3.org/2000/svg', tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  // Descriptions: HTML produced by uxt's Markdown renderer, which escapes raw HTML.
  function rendered(html, cls) {
    var div = h('div', { class: cls || 'prose' });
    div.innerHTML = html;
    return div;
  }
  function href(id) { return '#!/' + (byId.has(id) ? byId.get(id).type : 'node') + '/' + encodeURIComponent(id); }
  function link(id, label) {
    var n = byId.get(id);
    if (!n) return h('span', { class: 'external' }, label || id);
    return h('a', { href: href(id), class: 'node-link' }, h('span', { class: 'badge t-' + n.type }, n.type), ' ', label || n.name);
  }
  function fmt(n) { return Number(n).toLocaleString('en'); }
  var main = document.getElementById('main');
  function page(title) {
    document.title = title + ' · ' + DATA.project + ' · uxt docs';
    main.textContent = '';
    for (var i = 1; i < arguments.length; i++) append(main, arguments[i]);
  }

  // ---- SQL highlighting ----------------------------------------------------------------
  var TOKEN = /(--[^\n]*|\/\*[\s\S]*?\*\/|\{#[\s\S]*?#\})|('(?:[^']|'')*'?)|("(?:[^"]|"")*"?)|(\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\})|(\b\d+(?:\.\d+)?\b)|([A-Za-z_][A-Za-z0-9_$]*)|([\s\S])/g;
  function highlight(sql) {
    var code = h('code', { class: 'sql' });
    var m, plain = '';
    TOKEN.lastIndex = 0;
    function flush() { if (plain) { code.appendChild(document.createTextNode(plain)); plain = ''; } }
    function span(cls, text) { flush(); code.appendChild(h('span', { class: cls }, text)); }
    while ((m = TOKEN.exec(sql)) !== null) {
      if (m[1]) span('c', m[1]);
      else if (m[2]) span('s', m[2]);
      else if (m[3]) span('q', m[3]);
      else if (m[4]) span('j', m[4]);
      else if (m[5]) span('n', m[5]);
      else if (m[6] && KEYWORDS.has(m[6].toLowerCase())) span('k', m[6]);
      else plain += m[0];
    }
    flush();
    return h('pre', { class: 'code', tabindex: '0' }, code);
  }

  // ---- graph walks and selection ------------------------------------------------------
  function walk(start, next, depth) {
    var seen = new Set(), frontier = [start], level = 0;
    while (frontier.length && (depth === null || level < depth)) {
      var following = [];
      frontier.forEach(function (id) {
        (next(id) || []).forEach(function (o) {
          if (!seen.has(o) && byId.has(o)) { seen.add(o); following.push(o); }
        });
      });
      frontier = following;
      level++;
    }
    return seen;
  }
  function parentsOf(id) { var n = byId.get(id); return n ? n.parents : []; }
  function childrenOf(id) { return children.get(id); }
  // The nodes the command line selects from, as `uxt docs generate` described them; built on
  // first use, evaluated by select.js exactly as `--select` and `--exclude` are.
  var selection = null;
  function selectionGraph() {
    if (!selection) {
      selection = UxtSelect.graph(NODES.filter(function (n) { return n.selectable; }).map(function (n) {
        return {
          unique_id: n.id, name: n.selectable.name, resource_type: n.type, package_name: n.package,
          fqn: n.selectable.fqn, original_file_path: n.path, tags: n.tags || [],
          config: n.selectable.config || n.config || {}, source_name: n.selectable.source_name || null, parents: n.parents,
        };
      }));
    }
    return selection;
  }
  // A selector naming one node: `source:` for sources, else its name.
  function selectorOf(n) { return n.type === 'source' ? 'source:' + n.name : n.name; }

  // ---- layered layout, shared by the table and column graphs ---------------------------
  // Nodes are placed left to right by their longest path from a root; within a layer they are
  // ordered by the mean position of their parents, which keeps most edges short and uncrossed.
  function layout(ids, parentsFn) {
    var inSet = new Set(ids), layer = new Map(), visiting = new Set();
    function depth(id) {
      if (layer.has(id)) return layer.get(id);
      if (visiting.has(id)) return 0;
      visiting.add(id);
      var d = 0;
      parentsFn(id).forEach(function (p) { if (inSet.has(p)) d = Math.max(d, depth(p) + 1); });
      visiting.delete(id);
      layer.set(id, d);
      return d;
    }
    ids.forEach(depth);
    var layers = [];
    ids.forEach(function (id) { var d = layer.get(id); (layers[d] = layers[d] || []).push(id); });
    var pos = new Map();
    layers.forEach(function (ids, d) {
      if (d > 0) {
        ids.sort(function (a, b) { return mean(a) - mean(b); });
      } else {
        ids.sort();
      }
      ids.forEach(function (id, i) { pos.set(id, i); });
    });
    function mean(id) {
      var ps = parentsFn(id).filter(function (p) { return pos.has(p); });
      if (!ps.length) return 1e9;
      return ps.reduce(function (s, p) { return s + pos.get(p); }, 0) / ps.length;
    }
    return { layers: layers.filter(Boolean), layerOf: layer };
  }

  // Draws a pannable, zoomable graph. `items`: [{id, label, sub, type, href, focus}],
  // `edges`: [[from, to]].
  function graph(items, edges, label) {
    var W = 210, H = 44, GX = 90, GY = 18;
    var parents = new Map(items.map(function (i) { return [i.id, []]; }));
    edges.forEach(function (e) { if (parents.has(e[1]) && parents.has(e[0])) parents.get(e[1]).push(e[0]); });
    var lay = layout(items.map(function (i) { return i.id; }), function (id) { return parents.get(id) || []; });
    var at = new Map(), height = 0;
    lay.layers.forEach(function (ids, x) {
      ids.forEach(function (id, y) { at.set(id, { x: x * (W + GX), y: y * (H + GY) }); });
      height = Math.max(height, ids.length * (H + GY));
    });
    var width = lay.layers.length * (W + GX);
    var view = svg('g', { class: 'viewport' });
    edges.forEach(function (e) {
      var a = at.get(e[0]), b = at.get(e[1]);
      if (!a || !b) return;
      var x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
      view.appendChild(svg('path', { class: 'edge', d: 'M' + x1 + ',' + y1 + ' C' + mx + ',' + y1 + ' ' + mx + ',' + y2 + ' ' + x2 + ',' + y2 }));
    });
    items.forEach(function (item) {
      var p = at.get(item.id);
      var name = item.label.length > 28 ? item.label.slice(0, 27) + '…' : item.label;
      var sub = item.sub && item.sub.length > 32 ? item.sub.slice(0, 31) + '…' : item.sub;
      var g = svg('a', { href: item.href, class: 'gnode t-' + item.type + (item.focus ? ' focus' : ''), transform: 'translate(' + p.x + ',' + p.y + ')', 'aria-label': item.type + ' ' + item.label + (item.sub ? ', ' + item.sub : '') },
        svg('title', {}, item.type + ' ' + item.label + (item.sub ? ' — ' + item.sub : '')),
        svg('rect', { width: W, height: H, rx: 8 }),
        svg('rect', { class: 'stripe', width: 6, height: H, rx: 3 }),
        svg('text', { x: 16, y: sub ? 19 : 27, class: 'label' }, name),
        sub ? svg('text', { x: 16, y: 35, class: 'sub' }, sub) : null);
      view.appendChild(g);
    });
    var root = svg('svg', { class: 'graph-svg', role: 'group', 'aria-label': label + ' (' + items.length + ' nodes; drag or arrow keys to pan, + and - to zoom, 0 to fit)', tabindex: '0' }, view);
    var state = { x: 20, y: 20, k: 1 };
    function apply() { view.setAttribute('transform', 'translate(' + state.x + ',' + state.y + ') scale(' + state.k + ')'); }
    function fit() {
      var box = root.getBoundingClientRect();
      var bw = box.width || 900, bh = box.height || 500;
      state.k = Math.min(1.2, Math.max(0.05, Math.min((bw - 40) / Math.max(width - GX, 1), (bh - 40) / Math.max(height, 1))));
      state.x = 20; state.y = 20;
      apply();
    }
    function zoom(f, cx, cy) {
      var k = Math.min(4, Math.max(0.03, state.k * f));
      state.x = cx - (cx - state.x) * (k / state.k);
      state.y = cy - (cy - state.y) * (k / state.k);
      state.k = k;
      apply();
    }
    root.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      var box = root.getBoundingClientRect();
      zoom(ev.deltaY < 0 ? 1.15 : 1 / 1.15, ev.clientX - box.left, ev.clientY - box.top);
    }, { passive: false });
    var drag = null;
    root.addEventListener('pointerdown', function (ev) {
      if (ev.target.closest && ev.target.closest('a')) return;
      drag = { x: ev.clientX - state.x, y: ev.clientY - state.y };
      root.setPointerCapture(ev.pointerId);
    });
    root.addEventListener('pointermove', function (ev) {
      if (!drag) return;
      state.x = ev.clientX - drag.x; state.y = ev.clientY - drag.y; apply();
    });
    root.addEventListener('pointerup', function () { drag = null; });
    root.addEventListener('keydown', function (ev) {
      var box = root.getBoundingClientRect(), step = 60;
      var keys = {
        ArrowLeft: function () { state.x += step; apply(); },
        ArrowRight: function () { state.x -= step; apply(); },
        ArrowUp: function () { state.y += step; apply(); },
        ArrowDown: function () { state.y -= step; apply(); },
        '+': function () { zoom(1.2, box.width / 2, box.height / 2); },
        '=': function () { zoom(1.2, box.width / 2, box.height / 2); },
        '-': function () { zoom(1 / 1.2, box.width / 2, box.height / 2); },
        '0': fit
      };
      if (ev.target === root && keys[ev.key]) { ev.preventDefault(); keys[ev.key](); }
    });
    var controls = h('div', { class: 'graph-controls' },
      h('button', { type: 'button', onclick: function () { var b = root.getBoundingClientRect(); zoom(1.2, b.width / 2, b.height / 2); }, 'aria-label': 'Zoom in' }, '+'),
      h('button', { type: 'button', onclick: function () { var b = root.getBoundingClientRect(); zoom(1 / 1.2, b.width / 2, b.height / 2); }, 'aria-label': 'Zoom out' }, '−'),
      h('button', { type: 'button', onclick: fit, 'aria-label': 'Fit to view' }, 'Fit'));
    var wrap = h('div', { class: 'graph' }, root, controls);
    requestAnimationFrame(fit);
    return wrap;
  }

  function tableGraph(ids, focus, label) {
    var set = new Set(ids);
    var items = ids.map(function (id) {
      var n = byId.get(id);
      return { id: id, label: n.name, sub: n.type === 'source' ? n.relation : (n.materialized || n.exposure_type || n.type), type: n.type, href: href(id), focus: id === focus };
    });
    var edges = [];
    ids.forEach(function (id) { parentsOf(id).forEach(function (p) { if (set.has(p)) edges.push([p, id]); }); });
    return graph(items, edges, label);
  }

  // ---- the project tree ----------------------------------------------------------------
  var treeMode = 'project';
  var expanded = new Set();
  function buildTree(mode) {
    var root = { name: '', folders: new Map(), leaves: [] };
    function folder(parent, name) {
      if (!parent.folders.has(name)) parent.folders.set(name, { name: name, folders: new Map(), leaves: [] });
      return parent.folders.get(name);
    }
    NODES.forEach(function (n) {
      var at = root, path = folderPath(n, mode);
      if (!path) return;
      path.forEach(function (p) { at = folder(at, p); });
      at.leaves.push(n);
    });
    return root;
  }
  // The folders a node sits in: by file path, or by database and schema (`null`: not there).
  function folderPath(n, mode) {
    var path;
    if (mode === 'database') return n.relation ? [n.database || '', n.schema || ''] : null;
    if (n.type === 'source') path = ['Sources', n.name.split('.')[0]];
    else if (n.type === 'macro') path = ['Macros'].concat(n.path ? n.path.split('/').slice(0, -1) : []);
    else if (n.type === 'test') path = ['Tests'].concat(n.path ? n.path.split('/').slice(1, -1) : []);
    else if (n.type === 'exposure') path = [n.exposure_type === 'dashboard' ? 'Dashboards' : 'Exposures'];
    else path = (n.path || '').split('/').slice(0, -1);
    return [n.package || DATA.project].concat(path);
  }
  // Opens the folders down to the node shown, and marks it as the current page.
  function reveal(id) {
    var n = byId.get(id), path = n && folderPath(n, treeMode);
    if (path) {
      var key = treeMode, changed = false;
      path.forEach(function (p) {
        key += '/' + p;
        if (!expanded.has(key)) { expanded.add(key); expanded.delete('!' + key); changed = true; }
      });
      if (changed) renderTree();
    }
    document.querySelectorAll('#tree li.leaf').forEach(function (li) {
      if (li.getAttribute('data-id') === id) {
        li.setAttribute('aria-current', 'page');
        li.scrollIntoView({ block: 'nearest' });
      } else li.removeAttribute('aria-current');
    });
  }
  var trees = {};
  function renderTree() {
    var ul = document.getElementById('tree');
    var tree = trees[treeMode] || (trees[treeMode] = buildTree(treeMode));
    ul.textContent = '';
    ul.setAttribute('aria-labelledby', 'tab-' + treeMode);
    renderFolder(ul, tree, treeMode, 1);
    var first = ul.querySelector('[role=treeitem]');
    if (first) first.setAttribute('tabindex', '0');
  }
  function renderFolder(ul, folder, path, level) {
    Array.from(folder.folders.values()).sort(function (a, b) { return a.name.localeCompare(b.name); }).forEach(function (f) {
      var key = path + '/' + f.name;
      var open = expanded.has(key) || (level === 1 && !expanded.has('!' + key));
      var li = h('li', { role: 'treeitem', 'aria-expanded': String(open), 'aria-level': String(level), tabindex: '-1', class: 'folder', 'data-key': key },
        h('span', { class: 'twisty', 'aria-hidden': 'true' }, open ? '▾' : '▸'), ' ', f.name || '(none)',
        h('span', { class: 'count' }, fmt(count(f))));
      ul.appendChild(li);
      if (open) {
        var group = h('ul', { role: 'group' });
        renderFolder(group, f, key, level + 1);
        li.appendChild(group);
      }
    });
    folder.leaves.slice().sort(function (a, b) { return a.name.localeCompare(b.name); }).forEach(function (n) {
      ul.appendChild(h('li', { role: 'treeitem', 'aria-level': String(level), tabindex: '-1', class: 'leaf', 'data-id': n.id },
        h('a', { href: href(n.id), tabindex: '-1' }, h('span', { class: 'dot t-' + n.type, 'aria-hidden': 'true' }), n.name)));
    });
  }
  function count(f) {
    if (f.total === undefined) {
      f.total = f.leaves.length;
      f.folders.forEach(function (c) { f.total += count(c); });
    }
    return f.total;
  }
  function toggle(li, open) {
    var key = li.getAttribute('data-key');
    var isOpen = li.getAttribute('aria-expanded') === 'true';
    if (open === isOpen) return;
    if (isOpen) { expanded.delete(key); expanded.add('!' + key); } else { expanded.add(key); expanded.delete('!' + key); }
    renderTree();
    var again = document.querySelector('#tree [data-key="' + CSS.escape(key) + '"]');
    if (again) focusItem(again);
  }
  function focusItem(li) {
    document.querySelectorAll('#tree [role=treeitem][tabindex="0"]').forEach(function (x) { x.setAttribute('tabindex', '-1'); });
    li.setAttribute('tabindex', '0');
    li.focus();
  }
  function setupTree() {
    var ul = document.getElementById('tree');
    ul.addEventListener('click', function (ev) {
      var li = ev.target.closest('li.folder');
      if (li && !ev.target.closest('li.leaf')) toggle(li);
    });
    ul.addEventListener('keydown', function (ev) {
      var li = ev.target.closest('[role=treeitem]');
      if (!li) return;
      var items = Array.from(ul.querySelectorAll('[role=treeitem]'));
      var i = items.indexOf(li);
      var folder = li.classList.contains('folder');
      if (ev.key === 'ArrowDown' && items[i + 1]) focusItem(items[i + 1]);
      else if (ev.key === 'ArrowUp' && items[i - 1]) focusItem(items[i - 1]);
      else if (ev.key === 'ArrowRight' && folder) toggle(li, true);
      else if (ev.key === 'ArrowLeft' && folder && li.getAttribute('aria-expanded') === 'true') toggle(li, false);
      else if (ev.key === 'ArrowLeft') { var up = li.parentElement.closest('[role=treeitem]'); if (up) focusItem(up); else return; }
      else if (ev.key === 'Enter' || ev.key === ' ') {
        if (folder) toggle(li);
        else location.hash = li.querySelector('a').getAttribute('href');
      } else return;
      ev.preventDefault();
    });
    [['project', 'tab-project'], ['database', 'tab-database']].forEach(function (t) {
      document.getElementById(t[1]).addEventListener('click', function () {
        treeMode = t[0];
        document.querySelectorAll('.tree-tabs [role=tab]').forEach(function (b) { b.setAttribute('aria-selected', String(b.id === t[1])); });
        renderTree();
      });
    });
  }

  // ---- search --------------------------------------------------------------------------
  var INDEX = NODES.map(function (n) {
    return {
      n: n,
      name: n.name.toLowerCase(),
      rest: ((n.path || '') + ' ' + (n.relation || '') + ' ' + (n.tags || []).join(' ')).toLowerCase(),
      cols: (n.columns || []).map(function (c) { return c.name.toLowerCase(); })
    };
  });
  function search(q, limit) {
    q = q.trim().toLowerCase();
    if (!q) return { hits: [], total: 0 };
    var hits = [];
    for (var i = 0; i < INDEX.length; i++) {
      var e = INDEX[i], score = 0, column = null;
      if (e.name === q) score = 100;
      else if (e.name.indexOf(q) === 0) score = 80;
      else if (e.name.indexOf(q) !== -1) score = 60;
      else if (e.rest.indexOf(q) !== -1) score = 30;
      else {
        for (var j = 0; j < e.cols.length; j++) if (e.cols[j].indexOf(q) !== -1) { column = e.n.columns[j].name; score = 20; break; }
      }
      if (score) {
        if (e.n.type === 'test') score -= 15;
        hits.push({ n: e.n, score: score, column: column });
      }
    }
    hits.sort(function (a, b) { return b.score - a.score || a.n.name.localeCompare(b.n.name); });
    return { hits: hits.slice(0, limit), total: hits.length };
  }
  function resultItem(hit, id) {
    return h('a', { href: href(hit.n.id), class: 'result', role: 'option', id: id, 'aria-selected': 'false' },
      h('span', { class: 'badge t-' + hit.n.type }, hit.n.type),
      h('span', { class: 'r-name' }, hit.n.name),
      hit.column ? h('span', { class: 'r-col' }, 'column ' + hit.column) : null,
      h('span', { class: 'r-path' }, hit.n.path || hit.n.relation || ''));
  }
  function setupSearch() {
    var input = document.getElementById('search');
    var box = document.getElementById('search-results');
    var countEl = document.getElementById('search-count');
    var active = -1, timer = null;
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-autocomplete', 'list');
    box.setAttribute('role', 'listbox');
    box.setAttribute('aria-label', 'Search results');
    function close() { box.hidden = true; input.setAttribute('aria-expanded', 'false'); input.removeAttribute('aria-activedescendant'); active = -1; }
    function show() {
      var q = input.value;
      var found = search(q, 12);
      box.textContent = '';
      active = -1;
      if (!q.trim()) { close(); return; }
      found.hits.forEach(function (hit, i) { box.appendChild(resultItem(hit, 'sr-' + i)); });
      box.appendChild(h('a', { class: 'result more', href: '#!/search?q=' + encodeURIComponent(q), role: 'option', id: 'sr-all' },
        found.total ? 'All ' + fmt(found.total) + ' results for “' + q + '”' : 'No results for “' + q + '”'));
      countEl.textContent = found.total + ' results';
      box.hidden = false;
      input.setAttribute('aria-expanded', 'true');
    }
    function move(d) {
      var items = box.querySelectorAll('[role=option]');
      if (!items.length) return;
      if (active >= 0) items[active].setAttribute('aria-selected', 'false');
      active = (active + d + items.length) % items.length;
      items[active].setAttribute('aria-selected', 'true');
      items[active].scrollIntoView({ block: 'nearest' });
      input.setAttribute('aria-activedescendant', items[active].id);
    }
    input.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(show, 60); });
    input.addEventListener('keydown', function (ev) {
      if (ev.key === 'ArrowDown') { ev.preventDefault(); if (box.hidden) show(); move(1); }
      else if (ev.key === 'ArrowUp') { ev.preventDefault(); move(-1); }
      else if (ev.key === 'Escape') { close(); }
      else if (ev.key === 'Enter') {
        ev.preventDefault();
        var items = box.querySelectorAll('[role=option]');
        var target = active >= 0 ? items[active] : (items.length > 1 ? items[0] : items[items.length - 1]);
        if (target) { location.hash = target.getAttribute('href'); close(); input.blur(); }
      }
    });
    box.addEventListener('click', function () { close(); });
    document.addEventListener('click', function (ev) { if (!ev.target.closest('.search')) close(); });
    document.addEventListener('keydown', function (ev) {
      if (ev.key === '/' && document.activeElement !== input && !/INPUT|TEXTAREA/.test(document.activeElement.tagName)) { ev.preventDefault(); input.focus(); input.select(); }
    });
  }

  // A long list that renders only the rows in view.
  function virtualList(rows, rowHeight, renderRow) {
    var outer = h('div', { class: 'vlist', tabindex: '0', role: 'list' });
    var inner = h('div', { class: 'vlist-inner', style: 'height:' + rows.length * rowHeight + 'px' });
    outer.appendChild(inner);
    function draw() {
      var top = outer.scrollTop, height = outer.clientHeight || 600;
      var from = Math.max(0, Math.floor(top / rowHeight) - 10), to = Math.min(rows.length, Math.ceil((top + height) / rowHeight) + 10);
      inner.textContent = '';
      for (var i = from; i < to; i++) {
        var row = renderRow(rows[i]);
        row.style.top = i * rowHeight + 'px';
        row.setAttribute('role', 'listitem');
        inner.appendChild(row);
      }
    }
    outer.addEventListener('scroll', function () { requestAnimationFrame(draw); });
    requestAnimationFrame(draw);
    draw();
    return outer;
  }

  // ---- pages ---------------------------------------------------------------------------
  function overview() {
    var counts = {};
    NODES.forEach(function (n) { counts[n.type] = (counts[n.type] || 0) + 1; });
    var cards = TYPES.filter(function (t) { return counts[t]; }).map(function (t) {
      var label = [h('span', { class: 'stat-n' }, fmt(counts[t])), h('span', { class: 'stat-l' }, t + (counts[t] === 1 ? '' : 's'))];
      var selectable = NODES.some(function (n) { return n.type === t && n.selectable; });
      return selectable ? h('a', { class: 'stat', href: '#!/graph?select=' + encodeURIComponent('resource_type:' + t) }, label) : h('div', { class: 'stat' }, label);
    });
    var analysed = NODES.filter(function (n) { return n.type === 'model' && n.columns.some(function (c) { return c.lineage; }); }).length;
    var models = NODES.filter(function (n) { return n.type === 'model'; });
    page('Overview',
      h('header', { class: 'page-head' }, h('p', { class: 'eyebrow' }, 'Project'), h('h1', null, DATA.project)),
      h('p', { class: 'lede' }, 'Generated ' + DATA.generated_at + ' on ' + DATA.adapter + '.' + (DATA.has_catalog ? '' : ' No catalog was read (--empty-catalog): column types and row counts are missing.')),
      h('div', { class: 'stats' }, cards),
      h('p', null, 'Column lineage was analysed for ' + fmt(analysed) + ' of ' + fmt(models.length) + ' models. ',
        'Press ', h('kbd', null, '/'), ' to search, or open the ', h('a', { href: '#!/graph' }, 'lineage graph'), '.'),
      h('h2', null, 'All models'),
      virtualList(models.sort(function (a, b) { return a.name.localeCompare(b.name); }), 34, function (n) {
        return h('div', { class: 'vrow' }, link(n.id), h('span', { class: 'r-path' }, n.path));
      }));
  }

  function searchPage(q) {
    var found = search(q, Infinity);
    var input = h('input', { type: 'search', value: q, 'aria-label': 'Search', class: 'page-search' });
    input.addEventListener('change', function () { location.hash = '#!/search?q=' + encodeURIComponent(input.value); });
    page('Search',
      h('header', { class: 'page-head' }, h('p', { class: 'eyebrow' }, 'Search'), h('h1', null, fmt(found.total) + ' results for “' + q + '”')),
      input,
      virtualList(found.hits, 40, function (hit) { var a = resultItem(hit, null); a.classList.add('vrow'); a.removeAttribute('role'); return a; }));
  }

  function detailsTable(n) {
    var rows = [
      ['Type', n.type + (n.materialized && n.materialized !== n.type ? ' · ' + n.materialized : '')],
      ['Relation', n.relation],
      ['Database type', n.relation_type],
      ['Rows', n.rows !== undefined && n.rows !== null ? fmt(n.rows) : (n.in_catalog ? 'not counted by the engine' : null)],
      ['Owner', n.owner],
      ['Comment', n.comment],
      ['Loader', n.loader],
      ['Package', n.package],
      ['File', n.path ? n.path + (n.line ? ':' + n.line : '') : null],
      ['Tags', (n.tags || []).length ? n.tags.join(', ') : null]
    ].filter(function (r) { return r[1]; });
    return h('dl', { class: 'details' }, rows.map(function (r) { return [h('dt', null, r[0]), h('dd', null, r[1])]; }));
  }

  function columnsTable(n) {
    if (!n.columns.length) {
      return h('p', { class: 'muted' }, n.in_catalog || !DATA.has_catalog || n.type === 'test' || n.type === 'analysis' ? 'No columns are documented.' : 'Not in the warehouse yet: run `uxt run` (or `uxt build`), then `uxt docs generate`, to list its columns.');
    }
    var lineageNote = n.lineage_error ? null : true;
    return h('div', { class: 'table-wrap' }, h('table', { class: 'columns' },
      h('caption', { class: 'visually-hidden' }, 'Columns of ' + n.name),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Column'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Description'), h('th', { scope: 'col' }, 'Tests'),
        (n.type === 'model' || n.type === 'snapshot') && lineageNote ? h('th', { scope: 'col' }, 'Computed from') : null)),
      h('tbody', null, n.columns.map(function (c) {
        var used = usedBy.get(n.id + '\u0000' + c.name.toLowerCase()) || [];
        return h('tr', null,
          h('th', { scope: 'row' }, h('a', { href: '#!/column/' + encodeURIComponent(n.id) + '/' + encodeURIComponent(c.name), class: 'col-link', title: 'Column lineage of ' + c.name }, c.name),
            used.length ? h('span', { class: 'used', title: 'Used by ' + used.length + ' downstream column(s)' }, ' → ' + used.length) : null),
          h('td', { class: 'type' }, c.type || '—'),
          h('td', null, c.description ? rendered(c.description) : (c.comment || '')),
          h('td', null, (c.tests || []).map(function (t) { return h('span', { class: 'pill' }, t); })),
          (n.type === 'model' || n.type === 'snapshot') && lineageNote ? h('td', { class: 'from' }, c.lineage === null || c.lineage === undefined ? h('span', { class: 'muted' }, 'not in the analysed SQL') :
            c.lineage.length ? c.lineage.map(function (src) {
              var up = byId.get(src[0]);
              return h('a', { class: 'src', href: up ? '#!/column/' + encodeURIComponent(src[0]) + '/' + encodeURIComponent(src[1]) : null }, (up ? up.name : src[0]) + '.' + src[1]);
            }) : h('span', { class: 'muted' }, 'no upstream column')) : null);
      }))));
  }

  function codeSection(n) {
    if (!n.raw && !n.compiled) return null;
    var panes = [];
    if (n.raw) panes.push(['Source', n.raw]);
    if (n.compiled) panes.push(['Compiled', n.compiled]);
    var holder = h('div', { class: 'code-pane', role: 'tabpanel' });
    var tabs = h('div', { class: 'code-tabs', role: 'tablist', 'aria-label': 'SQL' });
    function showPane(i) {
      holder.textContent = '';
      holder.appendChild(highlight(panes[i][1]));
      Array.from(tabs.children).forEach(function (b, j) { b.setAttribute('aria-selected', String(i === j)); });
    }
    panes.forEach(function (p, i) { tabs.appendChild(h('button', { type: 'button', role: 'tab', onclick: function () { showPane(i); } }, p[0])); });
    showPane(panes.length - 1);
    var copy = h('button', { type: 'button', class: 'copy', onclick: function () { if (navigator.clipboard) navigator.clipboard.writeText(holder.textContent); } }, 'Copy');
    return [h('h2', { id: 'code' }, 'Code'), h('div', { class: 'code-head' }, tabs, copy), holder];
  }

  function nodePage(id) {
    var n = byId.get(id);
    if (!n) { page('Not found', h('h1', null, 'Not found'), h('p', null, 'No node `' + id + '` in this project.')); return; }
    if (n.type === 'exposure') { exposurePage(n); return; }
    var ups = n.parents.filter(function (p) { return byId.has(p); });
    var downs = children.get(id) || [];
    // Tests would crowd the picture; they are listed below instead.
    var neighbourhood = Array.from(new Set([id].concat(Array.from(walk(id, parentsOf, 2)), Array.from(walk(id, childrenOf, 2)))))
      .filter(function (x) { return x === id || byId.get(x).type !== 'test'; });
    page(n.name,
      h('header', { class: 'page-head' },
        h('p', { class: 'eyebrow' }, h('span', { class: 'badge t-' + n.type }, n.type), ' ', n.package),
        h('h1', null, n.name),
        n.relation ? h('p', { class: 'relation' }, h('code', null, n.relation)) : null),
      n.description ? rendered(n.description, 'prose description') : h('p', { class: 'muted' }, 'No description.'),
      n.source_description ? rendered(n.source_description, 'prose') : null,
      detailsTable(n),
      n.test_of ? h('p', null, 'Tests ', link(n.test_of), n.test_column ? ', column ' + n.test_column : '') : null,
      n.type !== 'macro' ? [h('h2', { id: 'columns' }, 'Columns'),
        n.lineage_error ? h('p', { class: 'notice', role: 'note' }, 'Column lineage could not be analysed: ' + n.lineage_error + '.') : null,
        columnsTable(n)] : null,
      n.type !== 'macro' && neighbourhood.length > 1 ? [h('h2', { id: 'lineage' }, 'Lineage'),
        h('p', { class: 'muted' }, 'Two steps up and down. ', n.selectable ? h('a', { href: '#!/graph?select=' + encodeURIComponent('+' + selectorOf(n) + '+') }, 'Open +' + selectorOf(n) + '+ in the graph') : null),
        tableGraph(neighbourhood, id, 'Lineage of ' + n.name)] : null,
      ups.length || downs.length ? h('div', { class: 'relatives' },
        h('section', null, h('h2', null, 'Depends on (' + ups.length + ')'), h('ul', { class: 'links' }, ups.map(function (p) { return h('li', null, link(p)); }))),
        h('section', null, h('h2', null, 'Referenced by (' + downs.length + ')'), h('ul', { class: 'links' }, downs.slice(0, 500).map(function (c) { return h('li', null, link(c)); }), downs.length > 500 ? h('li', null, '… and ' + fmt(downs.length - 500) + ' more') : null))) : null,
      (n.tests || []).length ? [h('h2', null, 'Tests'), h('ul', { class: 'links' }, n.tests.map(function (t) { return h('li', null, link(t)); }))] : null,
      codeSection(n),
      n.config ? [h('h2', null, 'Config'), h('pre', { class: 'code' }, h('code', null, JSON.stringify(n.config, null, 2)))] : null);
  }

  // ---- dashboards ----------------------------------------------------------------------
  function dashboards() { return NODES.filter(function (n) { return n.type === 'exposure' && n.exposure_type === 'dashboard'; }); }
  function title(n) { return n.label || n.name; }

  function dashboardsPage() {
    var all = dashboards().sort(function (a, b) { return title(a).localeCompare(title(b)); });
    var others = NODES.filter(function (n) { return n.type === 'exposure' && n.exposure_type !== 'dashboard'; });
    page('Dashboards',
      h('header', { class: 'page-head' }, h('p', { class: 'eyebrow' }, 'Exposures'), h('h1', null, 'Dashboards')),
      all.length ? h('div', { class: 'cards' }, all.map(function (n) {
        var problems = n.charts.filter(function (c) { return c.status === 'error' || c.status === 'empty'; }).length;
        return h('a', { class: 'card', href: href(n.id) },
          h('span', { class: 'card-title' }, title(n)),
          h('span', { class: 'card-sub' }, fmt(n.charts.length) + ' chart' + (n.charts.length === 1 ? '' : 's') + (problems ? ' · ' + problems + ' with a problem' : '')),
          n.owner && (n.owner.name || n.owner.email) ? h('span', { class: 'card-sub' }, n.owner.name || n.owner.email) : null);
      })) : h('p', { class: 'muted' }, 'No dashboards yet: declare an exposure of `type: dashboard` with `charts:` under its `meta:`.'),
      others.length ? [h('h2', null, 'Other exposures'), h('ul', { class: 'links' }, others.map(function (n) { return h('li', null, link(n.id, title(n))); }))] : null);
  }

  function chartCard(n, chart) {
    var source = chart.source && byId.get(chart.source);
    var body;
    if (chart.html) {
      body = h('div', { class: 'chart-body' });
      // Built by uxt's renderer, which escapes every value it writes.
      body.innerHTML = chart.html;
    } else {
      body = h('p', { class: 'chart-message notice', role: 'status' }, chart.message || 'Nothing to show.');
    }
    return h('section', { class: 'chart chart-' + chart.kind, id: 'chart-' + chart.name, 'data-chart': chart.name, 'data-status': chart.status, 'aria-labelledby': 'chart-title-' + chart.name },
      h('h3', { id: 'chart-title-' + chart.name }, chart.title),
      chart.description ? rendered(chart.description, 'prose chart-description') : null,
      chart.html && chart.message ? h('p', { class: 'chart-note', role: 'note' }, chart.message) : null,
      body,
      h('p', { class: 'chart-foot' },
        source ? ['From ', link(source.id), ' · ', h('a', { href: '#!/graph?select=' + encodeURIComponent('+' + selectorOf(source)) }, 'lineage')] : null,
        chart.html ? (source ? ' · ' : '') + fmt(chart.rows) + ' row' + (chart.rows === 1 ? '' : 's') : null,
        ' · ', h('span', { class: 'muted' }, n.path + ':' + chart.line)),
      chart.sql ? h('details', { class: 'chart-sql' }, h('summary', null, 'Query'), highlight(chart.sql)) : null);
  }

  function exposurePage(n) {
    var owner = n.owner ? [n.owner.name, n.owner.email ? '<' + n.owner.email + '>' : null].filter(Boolean).join(' ') : null;
    var rows = [
      ['Type', n.exposure_type],
      ['Owner', owner],
      ['Maturity', n.maturity],
      ['Link', n.url ? h('a', { href: n.url, rel: 'noopener noreferrer' }, n.url) : null],
      ['File', n.path + ':' + n.line],
      ['Tags', (n.tags || []).length ? n.tags.join(', ') : null]
    ].filter(function (r) { return r[1]; });
    var ups = n.parents.filter(function (p) { return byId.has(p); });
    page(title(n),
      h('header', { class: 'page-head' },
        h('p', { class: 'eyebrow' }, h('span', { class: 'badge t-exposure' }, n.exposure_type), ' ', n.package),
        h('h1', null, title(n))),
      n.description ? rendered(n.description, 'prose description') : null,
      h('dl', { class: 'details' }, rows.map(function (r) { return [h('dt', null, r[0]), h('dd', null, r[1])]; })),
      n.charts.length ? h('div', { class: 'charts' }, n.charts.map(function (c) { return chartCard(n, c); })) : null,
      h('h2', null, 'Depends on (' + ups.length + ')'),
      h('ul', { class: 'links' }, ups.map(function (p) { return h('li', null, link(p)); })),
      ups.length ? [h('h2', { id: 'lineage' }, 'Lineage'), tableGraph(Array.from(new Set([n.id].concat(Array.from(walk(n.id, parentsOf, 2))))).filter(function (x) { return byId.get(x).type !== 'test'; }), n.id, 'Lineage of ' + title(n))] : null);
  }

  // ---- the pipeline: past runs from target/run_history.jsonl -------------------------
  function seconds(v) { return v >= 100 ? fmt(Math.round(v)) + ' s' : (Math.round(v * 100) / 100) + ' s'; }
  function pipelinePage() {
    var p = DATA.pipeline || { runs: [], charts: [], slowest: [], failing_tests: [] };
    var runs = p.runs.slice().reverse();
    function counts(c) { return Object.keys(c).sort().map(function (k) { return h('span', { class: 'pill status-' + k }, k + ' ' + fmt(c[k])); }); }
    page('Pipeline',
      h('header', { class: 'page-head' }, h('p', { class: 'eyebrow' }, 'Runs'), h('h1', null, 'Pipeline')),
      h('p', { class: 'lede' }, runs.length
        ? fmt(runs.length) + ' run' + (runs.length === 1 ? '' : 's') + ' recorded in target/run_history.jsonl (the latest 100 are kept), numbered from the oldest.'
        : 'No runs recorded yet: each `uxt run`, `build`, `seed`, `snapshot` and `test` adds its results to target/run_history.jsonl, and `uxt docs generate` shows them here.'),
      runs.length ? h('div', { class: 'charts' }, p.charts.map(function (c) {
        var body;
        if (c.html) { body = h('div', { class: 'chart-body' }); body.innerHTML = c.html; } else body = h('p', { class: 'muted' }, 'Nothing to show: no run had any.');
        return h('section', { class: 'chart', 'data-chart': c.name, 'aria-labelledby': 'chart-title-' + c.name }, h('h3', { id: 'chart-title-' + c.name }, c.title), body);
      })) : null,
      runs.length ? [h('h2', null, 'Runs'), h('div', { class: 'table-wrap' }, h('table', { class: 'columns runs' },
        h('thead', null, h('tr', null, ['Run', 'Command', 'Finished', 'Duration', 'Nodes'].map(function (t) { return h('th', { scope: 'col' }, t); }))),
        h('tbody', null, runs.map(function (r) {
          return h('tr', { class: r.failed ? 'failed' : null }, h('th', { scope: 'row' }, r.label), h('td', null, r.command), h('td', null, r.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')), h('td', { class: 'num' }, seconds(r.elapsed)), h('td', null, counts(r.counts)));
        }))))] : null,
      p.slowest.length ? [h('h2', null, 'Slowest models'), h('p', { class: 'muted' }, 'Mean time over the latest runs that built them.'),
        h('div', { class: 'table-wrap' }, h('table', { class: 'columns slowest' },
          h('thead', null, h('tr', null, ['Node', 'Mean', 'Latest', 'Runs', 'Latest status'].map(function (t) { return h('th', { scope: 'col' }, t); }))),
          h('tbody', null, p.slowest.map(function (m) {
            return h('tr', null, h('th', { scope: 'row' }, link(m.id, m.name)), h('td', { class: 'num' }, seconds(m.mean)), h('td', { class: 'num' }, seconds(m.last)), h('td', { class: 'num' }, fmt(m.runs)), h('td', null, m.status));
          }))))] : null,
      runs.length ? [h('h2', null, 'Failing tests'), p.failing_tests.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'columns failing' },
        h('thead', null, h('tr', null, ['Test', 'Failed', 'Warned', 'Errored', 'Last bad run', 'Latest'].map(function (t) { return h('th', { scope: 'col' }, t); }))),
        h('tbody', null, p.failing_tests.map(function (t) {
          return h('tr', null, h('th', { scope: 'row' }, link(t.id)), h('td', { class: 'num' }, fmt(t.fail)), h('td', { class: 'num' }, fmt(t.warn)), h('td', { class: 'num' }, fmt(t.error)), h('td', null, t.last_bad), h('td', null, t.last_status + (t.last_failures ? ' (' + fmt(t.last_failures) + ' rows)' : '')));
        })))) : h('p', { class: 'muted' }, 'No test has failed in the recorded runs.')] : null);
  }

  // Past this many nodes an SVG graph is slow to draw and unreadable anyway.
  var GRAPH_LIMIT = 2500;
  function graphPage(select, exclude) {
    var selectInput = h('input', { id: 'graph-select', type: 'text', value: select, spellcheck: 'false', 'aria-describedby': 'graph-help', placeholder: '+fct_orders tag:nightly,config.materialized:table' });
    var excludeInput = h('input', { id: 'graph-exclude', type: 'text', value: exclude, spellcheck: 'false', 'aria-describedby': 'graph-help', placeholder: 'path:models/staging' });
    var form = h('form', { class: 'graph-form', role: 'search', onsubmit: function (ev) {
      ev.preventDefault();
      location.hash = '#!/graph?select=' + encodeURIComponent(selectInput.value) + (excludeInput.value.trim() ? '&exclude=' + encodeURIComponent(excludeInput.value) : '');
    } }, h('label', { for: 'graph-select' }, 'Select'), selectInput, h('label', { for: 'graph-exclude' }, 'Exclude'), excludeInput, h('button', { type: 'submit' }, 'Show'));
    var help = h('p', { id: 'graph-help', class: 'muted' }, 'As uxt --select and --exclude read them: dbt\'s methods (fqn, tag, path, file, source, resource_type, package, config.…, test_name, test_type, group, access), the graph operators +name, name+, 2+name+1 and @name; spaces mean union, commas intersection. Tests of selected nodes are selected with them.');
    var ids, message = null;
    try {
      ids = select.trim() || exclude.trim()
        ? selectionGraph().select(select.trim() ? [select] : [], exclude.trim() ? [exclude] : [])
        : NODES.filter(function (n) { return n.type !== 'macro' && n.type !== 'test'; }).map(function (n) { return n.id; });
    } catch (e) { ids = []; message = e.message; }
    // Tests are selected as the command line selects them, but not drawn.
    var drawn = ids.filter(function (id) { return byId.get(id).type !== 'test'; });
    var tests = ids.length - drawn.length;
    var body;
    if (message) body = h('p', { class: 'notice', role: 'alert' }, message);
    else if (!ids.length) body = h('p', { class: 'notice', role: 'status' }, 'Nothing matches.');
    else if (drawn.length > GRAPH_LIMIT) body = h('p', { class: 'notice', role: 'status' }, fmt(drawn.length) + ' nodes match: narrow the selection to ' + fmt(GRAPH_LIMIT) + ' or fewer to draw them (for example `2+name` for two steps upstream, `path:models/marts` or `tag:…`).');
    else if (drawn.length) body = tableGraph(drawn, null, 'Lineage graph of ' + (select || 'the project'));
    page('Lineage graph', h('header', { class: 'page-head' }, h('p', { class: 'eyebrow' }, 'Lineage'), h('h1', null, 'Lineage graph')), form, help,
      h('p', { class: 'muted', role: 'status', id: 'graph-count', 'data-selected': String(ids.length) },
        message ? '' : fmt(ids.length) + ' nodes selected' + (tests ? ' (' + fmt(tests) + ' of them tests, not drawn)' : '')), body);
  }

  // Upstream and downstream columns of one column, as a graph and as lists.
  function columnPage(id, column) {
    var n = byId.get(id);
    if (!n) { nodePage(id); return; }
    var key = function (i, c) { return i + '\u0000' + c.toLowerCase(); };
    var items = new Map(), edges = [];
    function add(i, c) {
      var k = key(i, c);
      if (!items.has(k)) {
        var node = byId.get(i);
        items.set(k, { id: k, label: c, sub: node ? node.name : i, type: node ? node.type : 'source', href: node ? '#!/column/' + encodeURIComponent(i) + '/' + encodeURIComponent(c) : '#!/overview', focus: i === id && c.toLowerCase() === column.toLowerCase() });
        return true;
      }
      return false;
    }
    function lineageOf(i, c) {
      var node = byId.get(i);
      var col = node && node.columns.find(function (x) { return x.name.toLowerCase() === c.toLowerCase(); });
      return (col && col.lineage) || [];
    }
    add(id, column);
    var stack = [[id, column]], guard = 0;
    while (stack.length && guard++ < 2000) {
      var cur = stack.pop();
      lineageOf(cur[0], cur[1]).forEach(function (src) {
        edges.push([key(src[0], src[1]), key(cur[0], cur[1])]);
        if (add(src[0], src[1])) stack.push(src);
      });
    }
    var upstream = items.size - 1;
    stack = [[id, column]]; guard = 0;
    while (stack.length && guard++ < 2000) {
      var at = stack.pop();
      (usedBy.get(key(at[0], at[1])) || []).forEach(function (dst) {
        edges.push([key(at[0], at[1]), key(dst[0], dst[1])]);
        if (add(dst[0], dst[1])) stack.push(dst);
      });
    }
    var downstream = items.size - 1 - upstream;
    var col = n.columns.find(function (x) { return x.name.toLowerCase() === column.toLowerCase(); });
    page(column + ' · ' + n.name,
      h('header', { class: 'page-head' }, h('p', { class: 'eyebrow' }, 'Column lineage'), h('h1', null, n.name + '.' + column), h('p', null, link(id))),
      col && col.description ? rendered(col.description) : null,
      n.lineage_error ? h('p', { class: 'notice', role: 'note' }, 'The SQL of ' + n.name + ' could not be analysed: ' + n.lineage_error + '.') : null,
      h('p', { class: 'muted', role: 'status' }, fmt(upstream) + ' upstream and ' + fmt(downstream) + ' downstream columns.'),
      items.size > 1 ? graph(Array.from(items.values()), edges, 'Column lineage of ' + n.name + '.' + column) : null,
      h('div', { class: 'relatives' },
        h('section', null, h('h2', null, 'Computed from'), h('ul', { class: 'links' }, lineageOf(id, column).map(function (s) { return h('li', null, h('a', { href: byId.has(s[0]) ? '#!/column/' + encodeURIComponent(s[0]) + '/' + encodeURIComponent(s[1]) : null }, (byId.has(s[0]) ? byId.get(s[0]).name : s[0]) + '.' + s[1])); })),
          lineageOf(id, column).length ? null : h('p', { class: 'muted' }, n.lineage_error ? 'Unknown: the SQL was not analysed.' : 'No upstream column: a constant, a count or a generated value.')),
        h('section', null, h('h2', null, 'Used by'), h('ul', { class: 'links' }, (usedBy.get(key(id, column)) || []).map(function (d) { return h('li', null, h('a', { href: '#!/column/' + encodeURIComponent(d[0]) + '/' + encodeURIComponent(d[1]) }, byId.get(d[0]).name + '.' + d[1])); }))),
          (usedBy.get(key(id, column)) || []).length ? null : h('p', { class: 'muted' }, 'No analysed column reads it.')));
  }

  // ---- routing -------------------------------------------------------------------------
  function route() {
    var hash = location.hash.replace(/^#!?\/?/, '');
    var query = '';
    var q = hash.indexOf('?');
    if (q !== -1) { query = hash.slice(q + 1); hash = hash.slice(0, q); }
    var params = new URLSearchParams(query);
    var parts = hash.split('/').map(function (p) { try { return decodeURIComponent(p); } catch (e) { return p; } });
    if (parts[0] === 'graph') graphPage(params.get('select') || '', params.get('exclude') || '');
    else if (parts[0] === 'search') searchPage(params.get('q') || '');
    else if (parts[0] === 'dashboards') dashboardsPage();
    else if (parts[0] === 'pipeline') pipelinePage();
    else if (parts[0] === 'column' && parts.length >= 3) columnPage(parts[1], parts.slice(2).join('/'));
    else if (parts.length >= 2 && parts[1]) nodePage(parts.slice(1).join('/'));
    else overview();
    reveal(parts[0] === 'column' ? parts[1] : parts.slice(1).join('/'));
    main.focus({ preventScroll: true });
    window.scrollTo(0, 0);
    document.body.setAttribute('data-rendered', String(Date.now()));
  }

  document.getElementById('project-name').textContent = DATA.project;
  setupTree();
  renderTree();
  setupSearch();
  window.addEventListener('hashchange', route);
  route();
})();
