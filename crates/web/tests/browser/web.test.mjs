// The web platform in a real browser: Debian's Chromium, headless, driven by Playwright
// (playwright-core, with the system's browser); accessibility checked by axe-core.
//
// It builds a platform with the real binary (ONCODATA_BIN): a synthetic France of the
// registries' départements (`oncodata synth --departements registry`), linked, with a key file
// and one account per role; serves it on a free loopback port; then does in the browser what
// each user does, reading the numbers off the rendered pages and comparing them with the API's
// and the command line's. Screenshots go to SCREENSHOTS (default: a temporary folder).
//
//   ONCODATA_BIN=target/debug/oncodata node --test web.test.mjs

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const BIN = process.env.ONCODATA_BIN;
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const work = mkdtempSync(join(tmpdir(), "oncodata-web-"));
const SHOTS = process.env.SCREENSHOTS || join(work, "screenshots");
mkdirSync(SHOTS, { recursive: true });
const AXE = readFileSync(join(here, "node_modules", "axe-core", "axe.min.js"), "utf8");
const ACCOUNTS = [["alice", "applicant"], ["bob", "applicant"], ["chris", "committee"], ["steve", "steward"], ["root", "admin"]];
const THRESHOLD = 11; // the default policy's: no count of 1 to 10 persons for the public

let server;
let url;
let browser;
const wh = join(work, "wh");

function run(args, input) {
  return execFileSync(BIN, args, { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], maxBuffer: 1 << 28 });
}

before(async () => {
  assert.ok(BIN, "set ONCODATA_BIN to the oncodata binary");
  run(["synth", "--out", join(work, "src"), "--scale", "0.05", "--years", "2016-2022", "--departements", "registry", "--warehouse", wh]);
  run(["link", "--warehouse", wh]);
  run(["keys", "init", "--keys", join(work, "keys.toml")]);
  for (const [name, role] of ACCOUNTS) run(["users", "add", name, "--role", role, "--warehouse", wh], `${name} long password\n`);
  server = spawn(BIN, ["serve", "--warehouse", wh, "--bind", "127.0.0.1:0", "--flight-bind", "127.0.0.1:0", "--keys", join(work, "keys.toml")], { stdio: ["ignore", "pipe", "pipe"] });
  url = await new Promise((resolve, reject) => {
    let out = "";
    server.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/http:\/\/[0-9.:]+/);
      if (m) resolve(m[0]);
    });
    server.on("exit", (code) => reject(new Error(`oncodata serve stopped (${code})`)));
    setTimeout(() => reject(new Error("oncodata serve did not start in 30 s")), 30_000);
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  server?.kill();
  if (!process.env.SCREENSHOTS) rmSync(work, { recursive: true, force: true });
});

/** A number as the page writes it in `lang` (French: 12 345,6; English: 12,345.6). */
function parse(text, lang) {
  const t = text.replace(/[\s\u202f\u00a0%]/g, "").replace(/−/g, "-");
  return Number(lang === "fr" ? t.replace(",", ".") : t.replace(/,/g, ""));
}

async function api(path) {
  const res = await fetch(`${url}${path}`);
  assert.equal(res.status, 200, `${path}: ${res.status}`);
  return res.json();
}

/** Runs axe-core on the page: no serious or critical violation of WCAG 2.1 A/AA. */
async function accessible(page, what) {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; ")}`),
    [],
    `${what}: accessibility violations`,
  );
  return result.passes.length;
}

/** The rows of a rendered rate table: key, and the cells' texts. */
async function tableRows(page, id) {
  return page.$$eval(`#${id} tbody tr[data-key]`, (rows) => rows.map((r) => ({ key: r.dataset.key, cells: [...r.querySelectorAll("td")].map((c) => c.textContent.trim()) })));
}

/** Every count a page shows in its rate tables is 0 or at least the threshold. */
async function noSmallCounts(page, lang) {
  for (const id of ["table-areas", "table-years"]) {
    for (const row of await tableRows(page, id)) {
      if (row.cells[0] === "s") continue;
      const cases = parse(row.cells[0], lang);
      assert.ok(cases === 0 || cases >= THRESHOLD, `${id} ${row.key}: a count of ${cases} is shown`);
    }
  }
}

async function signIn(name) {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.log(`${name}'s page: ${e.message}`));
  await page.goto(`${url}/app/login`);
  await page.fill("#name", name);
  await page.fill("#password", `${name} long password`);
  await Promise.all([page.waitForURL(/\/app\?lang=fr$/), page.click("#login button[type=submit]")]);
  await page.waitForSelector("body[data-ready=true]");
  return page;
}

/** Waits for the page's message and checks it says the action was done. */
async function done(page) {
  await page.waitForSelector("#message:not(:empty)");
  const [text, kind] = [await page.textContent("#message"), await page.getAttribute("#message", "class")];
  assert.equal(kind, "ok", `the page says: ${text}`);
  return text;
}

/** Chooses a value in one of the explorer's lists; the page reloads with it in the address. */
async function choose(page, field, value) {
  if ((await page.inputValue(field)) === value) return;
  await Promise.all([page.waitForEvent("framenavigated"), page.selectOption(field, value)]);
  await page.waitForLoadState("load");
}

async function openReady(page, path) {
  await page.goto(`${url}${path}`);
  await page.waitForSelector("body[data-ready]");
  assert.equal(await page.getAttribute("body", "data-ready"), "true", `${path}: ${await page.textContent("#message")}`);
}

test("a visitor explores lung cancer in women, 2020–2022, on the map and the table, in French then English", async () => {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 1400 } });
  const page = await context.newPage();
  const started = Date.now();
  await page.goto(`${url}/`);
  console.log(`explorer's first view: ${Date.now() - started} ms (cold caches, debug build)`);
  assert.equal(await page.getAttribute("html", "lang"), "fr");
  for (const [field, value] of [["#site", "lung"], ["#sex", "female"], ["#from", "2020"], ["#to", "2022"]]) await choose(page, field, value);
  assert.match(page.url(), /site=lung/);
  assert.match(page.url(), /sex=female/);

  // The map: all 101 départements, the covered ones coloured (or marked withheld), the others not.
  const shapes = await page.$$eval("svg.map [data-departement]", (els) => els.map((e) => ({ code: e.dataset.departement, state: e.dataset.state, value: e.dataset.value, fill: e.getAttribute("fill") })));
  assert.equal(shapes.length, 101);
  assert.equal(new Set(shapes.map((s) => s.code)).size, 101);
  for (const code of ["2A", "2B", "971", "972", "973", "974", "976"]) assert.ok(shapes.some((s) => s.code === code), code);
  const figure = await api("/api/figures/incidence?by=site_group,sex,area&years=2020-2022");
  const col = (name) => figure.columns.indexOf(name);
  const rows = figure.rows.filter((r) => r[col("site_group")] === "lung" && r[col("sex")] === "female");
  const byArea = new Map(rows.map((r) => [r[col("area")], r]));
  assert.ok(byArea.size > 5, "several départements covered");
  for (const s of shapes) {
    const row = byArea.get(s.code);
    if (!row) {
      assert.equal(s.state, "uncovered", `${s.code} has no registry`);
      assert.equal(s.fill, "#d9d9d9");
    } else if (row[col("suppressed")]) {
      assert.equal(s.state, "withheld", s.code);
      assert.equal(s.value, undefined, `${s.code}: a withheld figure has no value`);
    } else {
      assert.equal(s.state, "covered", s.code);
      assert.notEqual(s.fill, "#d9d9d9");
      assert.equal(Number(s.value), row[col("asr")], `${s.code}: the map's value is the published rate`);
    }
  }
  assert.ok(shapes.some((s) => s.state === "covered"), "some départements coloured");

  // The table under the map: the numbers read off the page are the API's.
  const table = await tableRows(page, "table-areas");
  assert.equal(table.length, byArea.size);
  for (const r of table) {
    const row = byArea.get(r.key);
    if (row[col("suppressed")]) {
      assert.deepEqual(r.cells, ["s", "s", "s", "s", "s", "s"], `${r.key}: withheld`);
    } else {
      assert.equal(parse(r.cells[0], "fr"), row[col("cases")], `${r.key} cases`);
      assert.equal(parse(r.cells[4], "fr"), Math.round(row[col("asr")] * 10) / 10, `${r.key} rate`);
    }
  }
  await noSmallCounts(page, "fr");
  // Keyboard: a département takes the focus and says its name and value.
  await page.focus('svg.map [data-state="covered"]');
  assert.match(await page.textContent("#tooltip"), /\(\d+|[0-9]{2,3}\)/);
  await page.screenshot({ path: join(SHOTS, "explorer-map.png"), fullPage: false });
  await accessible(page, "explorer (fr)");

  // A reload shows the same view.
  await page.reload();
  assert.equal(await page.inputValue("#site"), "lung");
  assert.equal(await page.inputValue("#sex"), "female");
  assert.equal(await page.inputValue("#from"), "2020");

  // English: the same selection.
  await Promise.all([page.waitForURL(/lang=en/), page.click("header .switch a")]);
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.equal(await page.inputValue("#site"), "lung");
  assert.match(await page.textContent("h2#view"), /Incidence — Lung, Women, 2020–2022/);
  const english = await tableRows(page, "table-areas");
  for (const r of english.filter((x) => x.cells[0] !== "s")) assert.equal(parse(r.cells[0], "en"), byArea.get(r.key)[col("cases")]);
  await noSmallCounts(page, "en");
  await accessible(page, "explorer (en)");

  // The CSV download: the command line's numbers for this selection.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click('a[href^="/explorer/areas.csv"]')]);
  const csv = readFileSync(await download.path(), "utf8");
  const cli = run(["incidence", "--warehouse", wh, "--by", "site_group,sex,area", "--years", "2020-2022", "--audience", "public", "--format", "csv"]);
  const lines = cli.trim().split("\n");
  const expected = [lines[0], ...lines.slice(1).filter((l) => l.startsWith("lung,female,"))].join("\n");
  assert.equal(csv.trim(), expected, "the download is `oncodata incidence --years 2020-2022 --audience public` for lung, women");
  const [svg] = await Promise.all([page.waitForEvent("download"), page.click('a[href^="/explorer/map.svg"]')]);
  assert.equal((readFileSync(await svg.path(), "utf8").match(/data-departement=/g) || []).length, 101);
  await context.close();
});

test("the trend, a département's view and net survival read as the API publishes them", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1300 } });
  await page.goto(`${url}/?site=breast&sex=female&area=974&lang=en`);
  const figure = await api("/api/figures/incidence?by=site_group,sex,area,year");
  const col = (name) => figure.columns.indexOf(name);
  const rows = figure.rows.filter((r) => r[col("site_group")] === "breast" && r[col("sex")] === "female" && r[col("area")] === "974");
  const trend = await tableRows(page, "table-years");
  assert.equal(trend.length, rows.length);
  for (const r of trend) {
    const row = rows.find((x) => x[col("year")] === r.key);
    if (row[col("suppressed")]) assert.equal(r.cells[0], "s");
    else assert.equal(parse(r.cells[0], "en"), row[col("cases")], `${r.key}`);
  }
  const points = await page.$$eval("svg.chart circle[data-x]", (c) => c.length);
  assert.equal(points, rows.filter((r) => !r[col("suppressed")]).length, "one point a published year");
  await noSmallCounts(page, "en");

  await page.goto(`${url}/?measure=survival&site=breast&sex=female&lang=en`);
  const survival = await api("/api/figures/survival?site=breast&sex=female");
  const shown = await page.$$eval("#table-survival tbody tr", (trs) => trs.map((tr) => ({ key: tr.dataset.key, cells: [...tr.querySelectorAll("td")].map((c) => c.textContent.trim()) })));
  assert.equal(shown.length, 3);
  for (const [i, r] of shown.entries()) {
    const p = survival.at[i];
    assert.equal(Number(r.key), p.years);
    if (p.estimate === null) assert.match(r.cells[0], /not published/);
    else assert.equal(parse(r.cells[0], "en"), Math.round(p.estimate * 1000) / 10, `${p.years} years`);
  }
  assert.ok(survival.at[0].estimate > 0.5, "1-year net survival of breast cancer is published");
  await page.screenshot({ path: join(SHOTS, "explorer-survival.png") });
  await accessible(page, "survival (en)");
  await page.goto(`${url}/register`);
  await accessible(page, "register (fr)");
  await page.close();
});

test("an applicant submits an application, the committee approves it, a researcher queries the workspace", async () => {
  const alice = await signIn("alice");
  await openReady(alice, "/app/applications");
  await alice.fill("#title", "Survie du cancer du poumon par département");
  await alice.fill("#objectives", "Décrire la survie nette par département.");
  await alice.fill("#public_interest", "Réduire les inégalités territoriales.");
  await alice.fill("#methodology", "Pohar-Perme, tables de mortalité départementales.");
  await alice.fill("#legal_basis", "Mission d'intérêt public.");
  await alice.check('input[name=variables][value="persons.person_id"]');
  await alice.check('input[name=variables][value="persons.sex"]');
  // (A full-page screenshot right before a click left headless Chromium's click without effect.)
  await alice.$eval("#new", (h) => h.scrollIntoView());
  await alice.screenshot({ path: join(SHOTS, "application-form.png") });
  await alice.fill("#members", "bob");
  await alice.fill("#duration_months", "12");
  await alice.click('#application-form button[value="submit"]');
  const id = Number((await done(alice)).match(/\d+/)[0]);
  await alice.waitForSelector(`#applications a[href^="/app/applications/${id}"]`);
  assert.match(await alice.textContent("#applications tbody"), /soumise/);
  await accessible(alice, "applications (fr)");

  const steve = await signIn("steve");
  await openReady(steve, "/app/review");
  await Promise.all([steve.waitForURL(new RegExp(`/app/applications/${id}`)), steve.click(`#queue a[href^="/app/applications/${id}"]`)]);
  await steve.waitForSelector('button[data-step="open_review"]');
  await steve.click('button[data-step="open_review"]');
  await done(steve);

  const chris = await signIn("chris");
  await openReady(chris, `/app/applications/${id}`);
  assert.match(await chris.textContent("#summary"), /en examen/);
  assert.ok(await chris.isVisible("#review-form"), "the committee's forms while under review");
  await chris.selectOption("#opinion", "favourable");
  await chris.fill("#comment", "Intérêt public démontré.");
  await chris.click("#review-form button[type=submit]");
  await chris.waitForSelector("#reviews li");
  await chris.selectOption("#outcome", "approve");
  await chris.fill("#motivation", "Projet conforme.");
  await chris.click("#decision-form button[type=submit]");
  await chris.waitForFunction(() => /autorisée/.test(document.querySelector("#summary").textContent));
  assert.ok(await chris.isHidden("#decision-form"), "no decision form once decided");
  await chris.$eval("h1", (h) => h.scrollIntoView());
  await chris.screenshot({ path: join(SHOTS, "committee-decision.png") });
  await accessible(chris, "application (committee)");

  // The register lists it.
  const visitor = await browser.newPage();
  await visitor.goto(`${url}/register`);
  assert.match(await visitor.textContent(`#projects tr[data-project="${id}"]`), /autorisé/);
  await visitor.close();

  // Bob, a member, queries the workspace once it is built.
  const bob = await signIn("bob");
  for (let i = 0; i < 300; i++) {
    const state = await bob.evaluate(async (p) => (await (await fetch(`/api/projects/${p}`)).json()).workspace?.state, id);
    if (state === "ready") break;
    await bob.waitForTimeout(100);
  }
  await openReady(bob, `/app/projects/${id}`);
  const sql = "SELECT sex, count(*) AS persons FROM persons GROUP BY sex ORDER BY sex";
  await bob.fill("#sql", sql);
  await bob.click('#sql-form button[value="run"]');
  await bob.waitForSelector("#result table");
  const shown = await bob.$$eval("#result tbody tr", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((c) => c.textContent)));
  const expected = await bob.evaluate(
    async ([p, statement]) => {
      const csrf = document.cookie.match(/oncodata_csrf=([^;]+)/)[1];
      const r = await fetch(`/api/projects/${p}/sql`, { method: "POST", headers: { "content-type": "application/json", "x-csrf-token": csrf }, body: JSON.stringify({ sql: statement }) });
      return (await r.json()).rows.map((row) => row.map(String));
    },
    [id, sql],
  );
  assert.deepEqual(shown, expected, "the result table is the API's result");
  assert.ok(shown.length >= 1);
  await bob.fill("#query-name", "personnes par sexe");
  await bob.click('#sql-form button[value="save"]');
  await bob.waitForSelector("#saved li button");
  assert.equal(await bob.textContent("#saved li button"), "personnes par sexe");
  await bob.screenshot({ path: join(SHOTS, "workspace.png") });
  await accessible(bob, "workspace");
});

test("a steward opens a quarantined record, its rules and source text, and re-ingests it", async () => {
  const steve = await signIn("steve");
  await openReady(steve, "/app/quarantine");
  const rules = await steve.$$eval("#rules tbody tr", (trs) => trs.length);
  assert.ok(rules > 0, "rules with records");
  const first = await steve.getAttribute("#records tbody tr", "data-record");
  await steve.click("#records tbody tr button");
  await steve.waitForSelector("#record:not([hidden])");
  const raw = await steve.inputValue("#raw");
  const [file, number] = [first.slice(0, first.lastIndexOf(":")), first.slice(first.lastIndexOf(":") + 1)];
  const record = await steve.evaluate(async ([f, n]) => (await fetch(`/api/quarantine/record?file=${encodeURIComponent(f)}&record=${n}`)).json(), [file, number]);
  assert.equal(raw, record.raw, "the page shows the record's source text");
  assert.ok(record.rules.length > 0);
  for (const r of record.rules) assert.match(await steve.textContent("#record-rules"), new RegExp(r.rule.replace(".", "\\.")));
  await steve.$eval("#h-record", (h) => h.scrollIntoView());
  await steve.screenshot({ path: join(SHOTS, "quarantine.png") });
  await accessible(steve, "quarantine");
  // Re-ingested as it is, it is quarantined again under the same rules.
  await steve.click("#fix-form button[type=submit]");
  await steve.waitForSelector("#fix-result p");
  assert.match(await steve.textContent("#fix-result"), /read 1 = accepted 0 \+ quarantined 1/);
  assert.ok((await steve.$$eval("#quality tbody tr", (t) => t.length)) > 0, "quality by registry, site and year");
});

test("an administrator sees the accounts and the verified audit log", async () => {
  const root = await signIn("root");
  await openReady(root, "/app/admin");
  const users = await root.$$eval("#users tbody tr", (trs) => trs.map((tr) => tr.firstChild.textContent));
  for (const [name] of ACCOUNTS) assert.ok(users.includes(name), name);
  assert.match(await root.textContent("#audit"), /intègre : \d+ événements/);
  await root.click("#checkpoint");
  await done(root);
  await root.screenshot({ path: join(SHOTS, "admin.png") });
  await accessible(root, "admin");
});
