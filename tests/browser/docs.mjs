// Drives a generated uxt docs site in Debian's headless Chromium, as a person would: open it,
// search for a node, open its page, check its columns and lineage, take a screenshot.
// Run by tests/it/docs.rs; prints one JSON line of timings on stdout, exits 1 on a failed check.
//
// usage: node docs.mjs '<json plan>'
//   {"chromium": "/usr/bin/chromium", "profile_dir": "...", "sites": [{"name", "url", "search",
//    "columns": [...], "lineage_column": "...", "text": ["shown as text", ...], "screenshot": "...",
//    "dashboards": [{"id", "charts": [{"name", "rows", "status"}]}], "runs": N,
//    "selection_box": {"select", "exclude", "selected"}, "selection_cases": {"fixture", "cases"}}]}
// With `dashboards`, every dashboard page is opened and each chart must draw one `.mark` per row
// that dashboards.json lists; with `runs`, the pipeline page must list that many runs; with
// `selection_box`, the graph page must select as many nodes as `uxt ls` listed; with
// `selection_cases`, the page's selection evaluator must give every case of the table the Rust
// tests use (tests/selection/cases.txt) its expected outcome.
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const plan = JSON.parse(process.argv[2]);
const failures = [];
const timings = {};
function check(site, ok, message) {
  if (!ok) failures.push(`${site}: ${message}`);
}

// The case table's lines as {line, select, exclude, expected}: see its header for the format.
function readCases(text) {
  const defined = {};
  const cases = [];
  const values = (field) => {
    const trimmed = field.trim();
    if (trimmed === '') return [];
    if (trimmed === "''") return [''];
    return trimmed.split(';').map((value) => value.trim());
  };
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (!line || line.startsWith('#')) continue;
    if (line.includes(' = ')) {
      const [name, members] = line.split(' = ');
      defined[name.trim()] = members.trim().split(/\s+/);
      continue;
    }
    const [select, exclude, expected] = line.split('|');
    cases.push({ line, select: values(select), exclude: values(exclude), expected: expected.trim() });
  }
  return { defined, cases };
}

// Runs every case through the page's own evaluator (select.js, as the site ships it) over the
// fixture's nodes; returns what came out wrong.
async function selectionCaseFailures(page, files) {
  const fixture = JSON.parse(readFileSync(files.fixture, 'utf8'));
  const { defined, cases } = readCases(readFileSync(files.cases, 'utf8'));
  const outcomes = await page.evaluate(({ fixture, cases }) => {
    const graph = window.UxtSelect.graph(fixture);
    return cases.map((c) => {
      try { return { ids: graph.select(c.select, c.exclude) }; } catch (error) { return { error: error.message }; }
    });
  }, { fixture, cases });
  const short = new Map(fixture.map((n) => [n.unique_id, n.source_name ? `${n.source_name}.${n.name}` : n.name]));
  const all = [...short.values()];
  const failures = [];
  cases.forEach((c, i) => {
    const outcome = outcomes[i];
    if (c.expected.startsWith('error:')) {
      const wanted = c.expected.slice('error:'.length).trim();
      if (outcome.error === undefined || !outcome.error.includes(wanted)) {
        failures.push(`selection case \`${c.line}\`: ${outcome.error === undefined ? `selected ${outcome.ids.join(', ')}` : outcome.error}`);
      }
      return;
    }
    if (outcome.error !== undefined) { failures.push(`selection case \`${c.line}\`: ${outcome.error}`); return; }
    const expected = new Set();
    for (const item of c.expected.split(/\s+/).filter(Boolean)) {
      const remove = item.startsWith('-');
      const name = remove ? item.slice(1) : item;
      for (const member of name === '*' ? all : defined[name] || [name]) {
        if (remove) expected.delete(member); else expected.add(member);
      }
    }
    const actual = new Set(outcome.ids.map((id) => short.get(id)));
    const missing = [...expected].filter((name) => !actual.has(name));
    const extra = [...actual].filter((name) => !expected.has(name));
    if (missing.length || extra.length) {
      failures.push(`selection case \`${c.line}\`: missing ${missing.join(' ')}; extra ${extra.join(' ')}`);
    }
  });
  if (!cases.length) failures.push('the selection case table is empty');
  return failures;
}

// A fresh profile directory of the test's own, so no state leaks between runs.
const browser = await chromium.launchPersistentContext(plan.profile_dir, {
  executablePath: plan.chromium,
  headless: true,
  viewport: { width: 1400, height: 1000 },
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
try {
  for (const site of plan.sites) {
    const page = await browser.newPage();
    const errors = [];
    const requests = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
    page.on('request', (request) => requests.push(request.url()));

    await page.goto(site.url, { waitUntil: 'load', timeout: 120000 });
    await page.waitForSelector('#tree [role=treeitem]', { timeout: 120000 }).catch((error) => {
      throw new Error(`${site.name}: the site did not render (${errors.join(' | ') || error.message})`);
    });
    const firstRender = await page.evaluate(
      () => Number(document.body.dataset.rendered) - performance.timeOrigin);

    // Type the name into the search box and time until its result is listed.
    await page.focus('#search');
    const searchMs = await page.evaluate(async (query) => {
      const input = document.getElementById('search');
      const start = performance.now();
      input.value = query;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      while (!Array.from(document.querySelectorAll('#search-results .r-name')).some((el) => el.textContent === query)) {
        if (performance.now() - start > 30000) return -1;
        await new Promise((resolve) => requestAnimationFrame(resolve));
      }
      return performance.now() - start;
    }, site.search);
    check(site.name, searchMs >= 0, `no search result for \`${site.search}\``);
    timings[site.name] = { first_render_ms: Math.round(firstRender), search_ms: Math.round(searchMs) };

    // Each dashboard: its page drawn, and one mark per row plotted.
    const base = site.url.replace(/#.*$/, '');
    await page.keyboard.press('Escape');
    // The page scrolls inside its main column: a screenshot of all of it needs a window as tall.
    const tallScreenshot = async (path) => {
      const height = await page.evaluate(() => document.getElementById('main').scrollHeight + 60);
      await page.setViewportSize({ width: 1400, height: Math.min(Math.max(height, 1000), 8000) });
      await page.screenshot({ path });
      await page.setViewportSize({ width: 1400, height: 1000 });
    };
    for (const dashboard of site.dashboards || []) {
      const renderMs = await page.evaluate(async (id) => {
        const start = performance.now();
        const before = document.body.dataset.rendered;
        location.hash = '#!/exposure/' + encodeURIComponent(id);
        while (document.body.dataset.rendered === before) {
          if (performance.now() - start > 30000) return -1;
          await new Promise((resolve) => requestAnimationFrame(resolve));
        }
        await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
        return performance.now() - start;
      }, dashboard.id);
      check(site.name, renderMs >= 0, `the dashboard \`${dashboard.id}\` did not render`);
      timings[site.name].dashboards = timings[site.name].dashboards || {};
      timings[site.name].dashboards[dashboard.id] = Math.round(renderMs);
      const drawn = await page.$$eval('#main section.chart', (sections) => sections.map((s) => ({
        name: s.dataset.chart,
        status: s.dataset.status,
        marks: s.querySelectorAll('.mark').length,
        message: s.querySelector('.chart-message') ? s.querySelector('.chart-message').textContent : null,
      })));
      for (const chart of dashboard.charts) {
        const found = drawn.find((d) => d.name === chart.name);
        if (!found) { check(site.name, false, `${dashboard.id}: chart \`${chart.name}\` is not on the page`); continue; }
        check(site.name, found.marks === chart.rows,
          `${dashboard.id}: chart \`${chart.name}\` drew ${found.marks} marks for ${chart.rows} rows`);
        check(site.name, found.status === chart.status, `${dashboard.id}: chart \`${chart.name}\` is ${found.status}, not ${chart.status}`);
        if (chart.status === 'ok') check(site.name, found.marks > 0, `${dashboard.id}: chart \`${chart.name}\` drew nothing`);
        else check(site.name, !!found.message || chart.status === 'truncated', `${dashboard.id}: chart \`${chart.name}\` (${chart.status}) says nothing`);
      }
      if (site.screenshots_dir) {
        await tallScreenshot(`${site.screenshots_dir}/dashboard-${dashboard.id.split('.').pop()}.png`);
      }
    }
    if (site.runs !== undefined) {
      await page.goto(base + '#!/pipeline');
      await page.waitForSelector('#main h1');
      const runs = await page.$$eval('table.runs tbody tr', (rows) => rows.length);
      check(site.name, runs === site.runs, `the pipeline page lists ${runs} runs, not ${site.runs}`);
      if (site.screenshots_dir) await tallScreenshot(`${site.screenshots_dir}/pipeline.png`);
      await page.goto(base);
      await page.waitForSelector('#tree [role=treeitem]');
    }
    if (site.selection_box) {
      const box = site.selection_box;
      await page.goto(`${base}#!/graph?select=${encodeURIComponent(box.select)}&exclude=${encodeURIComponent(box.exclude)}`);
      await page.waitForSelector('#graph-count');
      const selected = await page.$eval('#graph-count', (p) => Number(p.dataset.selected));
      check(site.name, selected === box.selected,
        `the selection box picked ${selected} nodes for \`${box.select}\` excluding \`${box.exclude}\`; uxt ls lists ${box.selected}`);
      await page.goto(base);
      await page.waitForSelector('#tree [role=treeitem]');
    }
    if (site.selection_cases) {
      for (const failure of await selectionCaseFailures(page, site.selection_cases)) check(site.name, false, failure);
    }
    if (site.timings_only) {
      const outside = requests.filter((url) => !url.startsWith('file:') && !url.startsWith(new URL(site.url).origin));
      check(site.name, outside.length === 0, `the site requested ${outside.join(', ')}`);
      check(site.name, errors.length === 0, `the page reported errors: ${errors.join(' | ')}`);
      await page.close();
      continue;
    }
    await page.focus('#search');
    await page.evaluate((query) => {
      const input = document.getElementById('search');
      input.value = query;
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }, site.search);
    await page.waitForFunction((query) => Array.from(document.querySelectorAll('#search-results .r-name')).some((el) => el.textContent === query), site.search);

    // Open the node's page from the results with the keyboard.
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForFunction((name) => document.querySelector('#main h1')?.textContent === name, site.search);

    const columns = await page.$$eval('table.columns tbody th a', (links) => links.map((a) => a.textContent));
    for (const column of site.columns) {
      check(site.name, columns.includes(column), `column \`${column}\` missing from the page (has ${columns.join(', ')})`);
    }
    const types = await page.$$eval('table.columns td.type', (cells) => cells.map((td) => td.textContent));
    check(site.name, types.length > 0 && types.every((t) => t !== '—'), `columns lack catalog types: ${types.join(', ')}`);
    const graphNodes = await page.$$eval('.graph-svg .gnode', (nodes) => nodes.length);
    check(site.name, graphNodes >= 2, `the lineage graph drew ${graphNodes} nodes`);
    const sources = await page.$$eval('td.from a.src', (links) => links.map((a) => a.textContent));
    check(site.name, sources.length > 0, 'no column shows the upstream columns it is computed from');

    for (const text of site.text || []) {
      const shown = await page.evaluate(() => document.getElementById('main').innerText);
      check(site.name, shown.includes(text), `the page does not show \`${text}\` as text`);
    }
    const injected = await page.evaluate(() => ({
      ran: window.__uxt_pwned !== undefined,
      scripts: document.querySelectorAll('#main script').length,
      bold: Array.from(document.querySelectorAll('#main b')).length,
    }));
    check(site.name, !injected.ran && injected.scripts === 0 && injected.bold === 0,
      `HTML from a description reached the DOM: ${JSON.stringify(injected)}`);

    await page.screenshot({ path: site.screenshot, fullPage: false });

    // The column lineage view of one column.
    await page.click(`table.columns tbody th a >> text="${site.lineage_column}"`);
    await page.waitForSelector('.graph-svg .gnode.focus');
    const columnNodes = await page.$$eval('.graph-svg .gnode', (nodes) => nodes.length);
    check(site.name, columnNodes >= 2, `the column lineage view drew ${columnNodes} nodes`);
    await page.screenshot({ path: site.screenshot.replace(/\.png$/, '-column.png') });

    // The whole-project graph and its selection box.
    await page.goto(site.url.replace(/#.*$/, '') + '#!/graph?select=' + encodeURIComponent('+' + site.search));
    await page.waitForSelector('.graph-svg .gnode');
    const selected = await page.$$eval('.graph-svg .gnode', (nodes) => nodes.length);
    check(site.name, selected >= 2, `the graph of +${site.search} drew ${selected} nodes`);

    const outside = requests.filter((url) => !url.startsWith('file:') && !url.startsWith(new URL(site.url).origin));
    check(site.name, outside.length === 0, `the site requested ${outside.join(', ')}`);
    check(site.name, errors.length === 0, `the page reported errors: ${errors.join(' | ')}`);
    await page.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(timings));
if (failures.length) {
  console.error(failures.join('\n'));
  process.exit(1);
}
