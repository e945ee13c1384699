// The signed-in pages: each page's frame (labels, forms) comes from the server in the page's
// language; this script fills it from the service's JSON API and sends the changes, with the
// session cookie and the CSRF token. Everything shown is written with textContent (never as
// HTML), so no text from the store can become markup.
"use strict";

const FR = document.documentElement.lang !== "en";
const T = (fr, en) => (FR ? fr : en);
const LANG = FR ? "fr" : "en";

const STATES = {
  draft: T("brouillon", "draft"),
  submitted: T("soumise", "submitted"),
  under_review: T("en examen", "under review"),
  changes_requested: T("modifications demandées", "changes requested"),
  approved: T("autorisée", "approved"),
  conditionally_approved: T("autorisée sous conditions", "conditionally approved"),
  rejected: T("refusée", "rejected"),
};
const STEPS = {
  submit: T("Soumettre", "Submit"),
  open_review: T("Transmettre au comité", "Send to the committee"),
  request_changes: T("Demander des modifications", "Request changes"),
  approve: T("Autoriser", "Approve"),
  approve_with_conditions: T("Autoriser sous conditions", "Approve with conditions"),
  reject: T("Refuser", "Reject"),
  confirm_conditions: T("Confirmer les conditions", "Confirm the conditions"),
  amend: T("Modifier (avenant)", "Amend"),
};
const OPINIONS = {
  favourable: T("favorable", "favourable"),
  favourable_with_conditions: T("favorable sous conditions", "favourable with conditions"),
  unfavourable: T("défavorable", "unfavourable"),
};

function csrf() {
  const m = document.cookie.match(/(?:^|;\s*)oncodata_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

/** Calls the API; resolves to the parsed JSON (or text), rejects with the API's message. */
async function api(method, path, body) {
  const init = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (method !== "GET") init.headers["x-csrf-token"] = csrf();
  const res = await fetch(path, init);
  const type = res.headers.get("content-type") || "";
  const data = type.includes("json") ? await res.json() : await res.text();
  if (!res.ok) {
    const err = new Error((data && data.message) || `${res.status}`);
    err.status = res.status;
    throw err;
  }
  return data;
}

function say(text, ok) {
  const m = document.getElementById("message");
  if (!m) return;
  m.textContent = text;
  m.className = ok ? "ok" : "";
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

const link = (href, text) => el("a", { href: `${href}${href.includes("?") ? "&" : "?"}lang=${LANG}`, text });
const when = (secs) => (secs ? new Date(secs * 1000).toLocaleString(LANG) : "");

function fillRows(tbody, rows) {
  tbody.replaceChildren(...rows.map((cells) => el("tr", {}, ...cells.map((c) => (c instanceof Node ? el("td", { class: "text" }, c) : el("td", { class: "text", text: String(c ?? "") }))))));
}

function dl(target, pairs) {
  target.replaceChildren();
  for (const [k, v] of pairs) target.append(el("dt", { text: k }), el("dd", { text: String(v ?? "") }));
}

/** A table of a query result: columns and rows. */
function resultTable(columns, rows, caption) {
  const head = el("tr", {}, ...columns.map((c) => el("th", { scope: "col", text: c })));
  const body = rows.map((r) => el("tr", {}, ...r.map((v) => el("td", { text: v === null ? "" : String(v) }))));
  return el("table", { class: "result" }, el("caption", { text: caption }), el("thead", {}, head), el("tbody", {}, ...body));
}

async function me() {
  try {
    return await api("GET", "/api/me");
  } catch (e) {
    if (e.status === 401) {
      location.href = `/app/login?lang=${LANG}`;
      return null;
    }
    throw e;
  }
}

/** The pages of each role. */
function tasks(role) {
  const all = {
    applicant: [["/app/applications", T("Mes demandes d'accès", "My applications")]],
    committee: [["/app/review", T("File d'examen", "Review queue")]],
    steward: [["/app/review", T("Demandes à vérifier", "Applications to check")], ["/app/quarantine", T("Quarantaine et qualité", "Quarantine and quality")]],
    admin: [["/app/admin", T("Comptes et audit", "Accounts and audit")]],
  };
  return all[role] || [];
}

function roleNav(user) {
  const nav = document.getElementById("role-nav");
  if (!nav || !user) return;
  const items = [["/app", T("Accueil", "Home")], ...tasks(user.role)];
  nav.replaceChildren(el("ul", {}, ...items.map(([h, t]) => el("li", {}, link(h, t)))), el("p", { text: `${user.name} (${user.role})` }));
}

function formValues(form) {
  const data = new FormData(form);
  const text = (k) => (data.get(k) || "").toString().trim();
  return { data, text };
}

function applicationBody(form) {
  const { data, text } = formValues(form);
  const years = text("year_from") && text("year_to") ? [Number(text("year_from")), Number(text("year_to"))] : null;
  return {
    title: text("title"),
    objectives: text("objectives"),
    public_interest: text("public_interest"),
    methodology: text("methodology"),
    legal_basis: text("legal_basis"),
    variables: data.getAll("variables").map(String),
    populations: { site_groups: data.getAll("site_groups").map(String), years, areas: [], sexes: [] },
    members: text("members").split(",").map((s) => s.trim()).filter(Boolean),
    duration_months: Number(text("duration_months") || 0),
  };
}

function fillApplicationForm(form, f) {
  for (const k of ["title", "objectives", "public_interest", "methodology", "legal_basis", "duration_months"]) form.elements[k].value = f[k] ?? "";
  form.elements.members.value = (f.members || []).join(", ");
  for (const box of form.querySelectorAll('input[name="variables"]')) box.checked = (f.variables || []).includes(box.value);
  for (const o of form.elements.site_groups.options) o.selected = (f.populations?.site_groups || []).includes(o.value);
  const y = f.populations?.years;
  form.elements.year_from.value = y ? y[0] : "";
  form.elements.year_to.value = y ? y[1] : "";
}

const pages = {
  async login() {
    document.getElementById("login").addEventListener("submit", async (e) => {
      e.preventDefault();
      const { text } = formValues(e.target);
      try {
        await api("POST", "/api/session", { name: text("name"), password: e.target.elements.password.value });
        location.href = `/app?lang=${LANG}`;
      } catch (err) {
        say(`${T("Connexion refusée", "Sign-in refused")} : ${err.message}`);
      }
    });
  },

  async home(user) {
    document.getElementById("whoami").textContent = `${T("Connecté en tant que", "Signed in as")} ${user.name} — ${T("rôle", "role")} ${user.role}`;
    const list = document.getElementById("tasks");
    list.replaceChildren(...tasks(user.role).map(([h, t]) => el("li", {}, link(h, t))));
    if (user.role === "applicant") {
      for (const a of await api("GET", "/api/applications")) {
        if (a.state === "approved") list.append(el("li", {}, link(`/app/projects/${a.id}`, `${T("Espace du projet", "Project workspace")} ${a.id} — ${a.title}`)));
      }
    }
    document.getElementById("logout").addEventListener("click", async () => {
      await api("DELETE", "/api/session").catch(() => {});
      location.href = `/?lang=${LANG}`;
    });
  },

  async applications() {
    const tbody = document.querySelector("#applications tbody");
    const load = async () => {
      const list = await api("GET", "/api/applications");
      fillRows(tbody, list.map((a) => [link(`/app/applications/${a.id}`, String(a.id)), a.title, a.owner, STATES[a.state] || a.state]));
    };
    await load();
    const form = document.getElementById("application-form");
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const created = await api("POST", "/api/applications", applicationBody(form));
        if (e.submitter && e.submitter.value === "submit") await api("POST", `/api/applications/${created.id}/steps`, { step: "submit" });
        say(`${T("Demande", "Application")} ${created.id} ${e.submitter && e.submitter.value === "submit" ? T("soumise", "submitted") : T("enregistrée", "saved")}.`, true);
        form.reset();
        await load();
      } catch (err) {
        say(err.message);
      }
    });
  },

  async application(user) {
    const root = document.getElementById("application");
    const id = root.dataset.id;
    const load = async () => {
      const a = await api("GET", `/api/applications/${id}`);
      const f = a.form;
      dl(document.getElementById("summary"), [
        [T("Titre", "Title"), f.title],
        [T("Demandeur", "Applicant"), a.owner],
        [T("État", "State"), STATES[a.state] || a.state],
        [T("Tour", "Round"), a.round],
        [T("Objectifs", "Objectives"), f.objectives],
        [T("Intérêt public", "Public interest"), f.public_interest],
        [T("Méthodologie", "Methodology"), f.methodology],
        [T("Base légale", "Legal basis"), f.legal_basis],
        [T("Variables", "Variables"), f.variables.join(", ")],
        [T("Membres", "Members"), f.members.join(", ")],
        [T("Durée (mois)", "Duration (months)"), f.duration_months],
      ]);
      document.getElementById("decisions").replaceChildren(...a.decisions.map((d) => el("li", { text: `${T("Tour", "Round")} ${d.round} — ${STEPS[d.outcome] || d.outcome} (${d.decider}, ${when(d.time)}) : ${d.motivation}${d.conditions ? ` — ${T("conditions", "conditions")} : ${d.conditions}` : ""}` })));
      document.getElementById("reviews").replaceChildren(...a.reviews.map((r) => el("li", { text: `${r.reviewer} — ${OPINIONS[r.opinion] || r.opinion}${r.comment ? ` : ${r.comment}` : ""}` })));
      document.getElementById("conflicts").replaceChildren(...a.conflicts.map((c) => el("li", { text: `${T("Conflit déclaré par", "Conflict declared by")} ${c.reviewer} : ${c.reason}` })));
      document.getElementById("history").replaceChildren(...a.transitions.map((t) => el("li", { text: `${when(t.time)} — ${STATES[t.from] || t.from} → ${STATES[t.to] || t.to} (${t.actor})${t.note ? ` : ${t.note}` : ""}` })));
      const steps = document.getElementById("steps");
      const decisionSteps = ["approve", "approve_with_conditions", "request_changes", "reject"];
      steps.replaceChildren(
        ...a.next_steps
          .filter((s) => !decisionSteps.includes(s))
          .map((s) =>
            el("button", {
              type: "button",
              "data-step": s,
              text: STEPS[s] || s,
              onclick: async () => {
                try {
                  await api("POST", `/api/applications/${id}/steps`, { step: s });
                  say(`${STEPS[s] || s} : ${T("fait", "done")}.`, true);
                  await load();
                } catch (err) {
                  say(err.message);
                }
              },
            }),
          ),
      );
      const committee = user.role === "committee" && a.state === "under_review";
      const conflicted = a.conflicts.some((c) => c.reviewer === user.name);
      document.getElementById("conflict-form").hidden = !committee || conflicted;
      document.getElementById("review-form").hidden = !committee || conflicted;
      document.getElementById("decision-form").hidden = !committee || conflicted || !a.next_steps.some((s) => decisionSteps.includes(s));
      if (!steps.children.length && document.querySelectorAll("#application form.committee:not([hidden])").length === 0) {
        steps.append(el("p", { text: T("Aucune action de votre part n'est attendue.", "Nothing is waiting for you here.") }));
      }
      const editable = user.name === a.owner && ["draft", "changes_requested"].includes(a.state);
      document.getElementById("edit").hidden = !editable;
      if (editable) fillApplicationForm(document.getElementById("application-form"), f);
    };
    const post = (form, path, body) =>
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        try {
          await api("POST", `/api/applications/${id}/${path}`, body(formValues(form).text));
          say(T("Enregistré.", "Recorded."), true);
          form.reset();
          await load();
        } catch (err) {
          say(err.message);
        }
      });
    post(document.getElementById("conflict-form"), "conflicts", (t) => ({ reason: t("reason") }));
    post(document.getElementById("review-form"), "reviews", (t) => ({ opinion: t("opinion"), comment: t("comment") }));
    post(document.getElementById("decision-form"), "decision", (t) => ({ outcome: t("outcome"), motivation: t("motivation"), conditions: t("conditions") }));
    const form = document.getElementById("application-form");
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await api("PUT", `/api/applications/${id}`, applicationBody(form));
        if (e.submitter && e.submitter.value === "submit") await api("POST", `/api/applications/${id}/steps`, { step: "submit" });
        say(T("Demande mise à jour.", "Application updated."), true);
        await load();
      } catch (err) {
        say(err.message);
      }
    });
    await load();
  },

  async queue() {
    const list = await api("GET", "/api/applications");
    const order = ["submitted", "under_review", "conditionally_approved", "changes_requested", "draft", "approved", "rejected"];
    list.sort((a, b) => order.indexOf(a.state) - order.indexOf(b.state) || b.updated - a.updated);
    fillRows(document.querySelector("#queue tbody"), list.map((a) => [link(`/app/applications/${a.id}`, String(a.id)), a.title, a.owner, `${STATES[a.state] || a.state}${a.conflicted ? ` (${T("conflit déclaré", "conflict declared")})` : ""}`, when(a.updated)]));
  },

  async project() {
    const root = document.getElementById("project");
    const id = root.dataset.id;
    const p = await api("GET", `/api/projects/${id}`);
    dl(document.getElementById("permit"), [
      [T("Permis", "Permit"), `v${p.permit.version} — ${p.permit.in_force ? T("en vigueur", "in force") : T("expiré", "expired")}`],
      [T("Expire le", "Expires"), when(p.permit.expires)],
      [T("Variables", "Variables"), p.permit.form.variables.join(", ")],
      [T("Espace", "Workspace"), p.workspace ? `${p.workspace.state}${p.workspace.message ? ` — ${p.workspace.message}` : ""}` : T("en préparation", "being built")],
    ]);
    const result = document.getElementById("result");
    const saved = document.getElementById("saved");
    const form = document.getElementById("sql-form");
    const loadSaved = async () => {
      const list = await api("GET", `/api/projects/${id}/queries`);
      saved.replaceChildren(
        ...list.map((q) =>
          el("li", {}, el("button", { type: "button", class: "secondary", text: q.name, onclick: () => { form.elements.sql.value = q.sql; } }), ` ${q.owner}, ${when(q.created)}`),
        ),
      );
    };
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const action = e.submitter ? e.submitter.value : "run";
      const sql = form.elements.sql.value;
      try {
        if (action === "save") {
          await api("POST", `/api/projects/${id}/queries`, { name: form.elements.query_name.value.trim(), sql });
          say(T("Requête enregistrée.", "Query saved."), true);
          await loadSaved();
        } else if (action === "export") {
          const x = await api("POST", `/api/projects/${id}/exports`, { sql });
          const csv = [x.columns.join(","), ...x.rows.map((r) => r.map((v) => (v === null ? "" : String(v))).join(","))].join("\n") + "\n";
          const a = el("a", { href: URL.createObjectURL(new Blob([csv], { type: "text/csv" })), download: `project-${id}-export.csv`, text: T("Télécharger l'export (CSV)", "Download the export (CSV)") });
          result.replaceChildren(resultTable(x.columns, x.rows, T("Export après contrôle de sortie", "Export after output checking")), el("ul", {}, ...x.notes.map((n) => el("li", { text: n }))), a);
          say(T("Export enregistré au journal des sorties.", "Export recorded in the release log."), true);
        } else {
          const r = await api("POST", `/api/projects/${id}/sql`, { sql, format: "json" });
          result.replaceChildren(resultTable(r.columns, r.rows, `${r.rows.length} ${T("lignes", "rows")}`));
          say("");
        }
      } catch (err) {
        result.replaceChildren();
        say(err.message);
      }
    });
    await loadSaved();
  },

  async quarantine() {
    const q = await api("GET", "/api/quarantine");
    fillRows(document.querySelector("#rules tbody"), q.rules.map((r) => [r.rule, r.description, r.records]));
    const tbody = document.querySelector("#records tbody");
    const open = async (r, row) => {
      for (const tr of tbody.querySelectorAll("tr.selected")) tr.classList.remove("selected");
      row.classList.add("selected");
      const rec = await api("GET", `/api/quarantine/record?file=${encodeURIComponent(r.source_file)}&record=${r.source_record}`);
      const section = document.getElementById("record");
      section.hidden = false;
      dl(document.getElementById("record-facts"), [
        [T("Jeu de données", "Dataset"), rec.dataset],
        [T("Source", "Source"), rec.source],
        [T("Fichier", "File"), rec.source_file],
        [T("Enregistrement n°", "Record no."), rec.source_record],
        [T("Identifiant", "Record id"), rec.record_id],
        [T("Messages", "Messages"), rec.messages],
      ]);
      document.getElementById("record-rules").replaceChildren(...rec.rules.map((x) => el("li", { text: `${x.rule} : ${x.description}` })));
      const fix = document.getElementById("fix-form");
      fix.elements.raw.value = rec.raw;
      fix.dataset.file = rec.source_file;
      fix.dataset.record = rec.source_record;
      document.getElementById("fix-result").replaceChildren();
      fix.elements.raw.focus();
    };
    tbody.replaceChildren(
      ...q.records.map((r) => {
        const row = el("tr", { "data-record": `${r.source_file}:${r.source_record}` });
        const button = el("button", { type: "button", class: "secondary", text: r.record_id || `${r.source_record}`, onclick: () => open(r, row).catch((e) => say(e.message)) });
        row.append(el("td", { class: "text", text: r.dataset }), el("td", { class: "text", text: r.source_file.split("/").pop() }), el("td", { text: String(r.source_record) }), el("td", { class: "text" }, button), el("td", { class: "text", text: r.rule_ids }));
        return row;
      }),
    );
    document.getElementById("fix-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = e.target;
      try {
        const r = await api("POST", "/api/quarantine/fix", { file: f.dataset.file, record: Number(f.dataset.record), raw: f.elements.raw.value });
        document.getElementById("fix-result").replaceChildren(el("p", { text: r.summary }));
        say(r.accepted ? T("Enregistrement accepté et réintégré.", "Record accepted and re-ingested.") : T("Toujours en quarantaine : voir les règles.", "Still quarantined: see the rules."), r.accepted);
      } catch (err) {
        say(err.message);
      }
    });
    const quality = await api("GET", "/api/quality");
    const table = document.getElementById("quality");
    table.tHead.replaceChildren(el("tr", {}, ...quality.columns.map((c) => el("th", { scope: "col", text: c }))));
    table.tBodies[0].replaceChildren(...quality.rows.map((r) => el("tr", {}, ...r.map((v) => el("td", { text: v === null ? "" : String(v) })))));
  },

  async admin() {
    const tbody = document.querySelector("#users tbody");
    const load = async () => {
      const users = await api("GET", "/api/users");
      fillRows(
        tbody,
        users.map((u) => [
          u.name,
          u.role,
          u.disabled ? T("désactivé", "disabled") : T("actif", "active"),
          u.disabled
            ? ""
            : el("button", {
                type: "button",
                class: "secondary",
                text: T("Désactiver", "Disable"),
                onclick: async () => {
                  try {
                    await api("POST", `/api/users/${encodeURIComponent(u.name)}/disable`);
                    await load();
                  } catch (err) {
                    say(err.message);
                  }
                },
              }),
        ]),
      );
    };
    const audit = async () => {
      const a = await api("GET", "/api/audit");
      const c = a.last_checkpoint || {};
      dl(document.getElementById("audit"), [
        [T("Vérification", "Verification"), T(`intègre : ${a.events} événements, ${a.checkpoints} points de contrôle signés`, `intact: ${a.events} events, ${a.checkpoints} signed checkpoints`)],
        [T("Événements effacés (RGPD)", "Events erased (GDPR)"), a.erased],
        [T("Événements après le dernier point", "Events after the last checkpoint"), a.unsigned],
        [T("Dernier point de contrôle", "Latest checkpoint"), c.size !== undefined ? `${c.size} — ${c.root || ""}` : JSON.stringify(c)],
        [T("Clé publique", "Public key"), a.public_key],
      ]);
    };
    document.getElementById("user-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = e.target;
      try {
        await api("POST", "/api/users", { name: f.elements["new-name"].value.trim(), role: f.elements.role.value, password: f.elements["new-password"].value });
        say(T("Compte créé.", "Account created."), true);
        f.reset();
        await load();
      } catch (err) {
        say(err.message);
      }
    });
    document.getElementById("checkpoint").addEventListener("click", async () => {
      try {
        await api("POST", "/api/audit/checkpoint");
        await audit();
        say(T("Point de contrôle signé.", "Checkpoint signed."), true);
      } catch (err) {
        say(err.message);
      }
    });
    await load();
    await audit();
  },
};

document.addEventListener("DOMContentLoaded", async () => {
  const root = document.querySelector("[data-page]");
  if (!root) return;
  const name = root.dataset.page;
  try {
    const user = name === "login" ? null : await me();
    if (name !== "login" && !user) return;
    roleNav(user);
    await pages[name](user);
    document.body.dataset.ready = "true";
  } catch (err) {
    say(err.message);
    document.body.dataset.ready = "error";
  }
});
