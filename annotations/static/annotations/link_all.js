// "Link all occurrences": every passage naming a record (its label, aliases and the spellings search
// folds together), in this document or across the archive, listed with its context and a tick box,
// then annotated as one batch (POST /api/records/<id>/occurrences/); a toast offers "Undo batch"
// (POST /api/batches/<id>/undo/), which says what it kept and why. Shared by the reading room and
// the record page. Untrusted text is written only through textContent.

/** A new element: `props` are properties (`class`, `text` and `data-*`/`aria-*`/`role`/`for` as
 * attributes), `children` nodes or strings. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (/^(data-|aria-)/.test(k) || k === "role" || k === "for") node.setAttribute(k, v);
    else node[k] = v;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

/** A JSON request; a refusal throws an Error carrying the server's sentence (`detail`). */
export async function jsonRequest(method, url, payload, csrf) {
  const headers = { Accept: "application/json", "X-CSRFToken": csrf || "" };
  if (payload !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method, headers, credentials: "same-origin", body: payload !== undefined ? JSON.stringify(payload) : undefined,
  });
  let data = {};
  try { data = await response.json(); } catch { /* no body */ }
  if (!response.ok) {
    const detail = data.detail || Object.entries(data.errors || data).map(([k, v]) => `${k}: ${[].concat(v).join(" ")}`).join("; ");
    const error = new Error(detail || `${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

export const splitTags = (value) => [...new Set((value || "").split(",").map((t) => t.trim()).filter(Boolean))];

/** A toast in `box` (the page's `.toast` element), with an optional action button. */
export function showToast(box, message, { action = null, onAction = null, duration = 4000 } = {}) {
  if (!box) return;
  clearTimeout(box._timer);
  box.replaceChildren(el("span", { class: "toast-text", text: message }));
  if (action) {
    const button = el("button", { type: "button", class: "toast-action", text: action });
    button.addEventListener("click", () => { box.hidden = true; box.replaceChildren(); onAction(); });
    box.append(button);
  }
  box.hidden = false;
  box._timer = setTimeout(() => { box.hidden = true; box.replaceChildren(); }, duration);
}

const UNDO_BATCH_MS = 20000;
const CONTEXT_CHARS = 60;
// The context around a passage, cut at a word boundary (the prefix kept whole where it starts the text).
const before = (text, start) => (Array.from(text).length === start && text.length <= CONTEXT_CHARS ? text
  : `…${text.slice(-CONTEXT_CHARS).replace(/^\S*\s+/u, "")}`);
const after = (text) => (text.length < 20 ? text : `${text.slice(0, CONTEXT_CHARS).replace(/\s\S*$/u, "")}…`);

/**
 * Open the dialog. `record` {id, label, kind}; `document` the slug of the document being read (the
 * scope toggle then starts there), or null (across the archive); `entityTypes` [{key, label}];
 * `groups` [name]; `entityType` the type offered first; `notify(message, options)` shows a toast;
 * `onDone(result)` after the batch is made, `onUndone(result)` after it is undone.
 */
export function openLinkAll({ record, document: slug = null, entityTypes = [], groups = [], entityType = "", csrf = "",
  notify, onDone = () => {}, onUndone = () => {} }) {
  const opener = document.activeElement;
  const old = document.getElementById("link-all");
  if (old) old.remove();
  let scope = slug ? "document" : "archive";
  let found = [];

  const title = el("h2", { id: "la-title" }, "Link all occurrences of ", el("q", { text: record.label }));
  const summary = el("p", { id: "la-summary", class: "small", role: "status", text: "Finding the passages…" });
  const list = el("ol", { id: "la-list", class: "la-list", "aria-labelledby": "la-title" });
  const scopeBox = slug ? el("fieldset", { class: "la-scope" }, el("legend", { text: "Where" }),
    el("label", {}, el("input", { type: "radio", name: "la-scope", value: "document", checked: true }), " In this document"),
    el("label", {}, el("input", { type: "radio", name: "la-scope", value: "archive" }), " Across the archive")) : null;
  const tickAll = el("button", { type: "button", class: "link", text: "Tick all" });
  const untickAll = el("button", { type: "button", class: "link", text: "Untick all" });
  const typeSelect = el("select", { id: "la-type" }, ...entityTypes.map((t) => el("option", { value: t.key, text: t.label })));
  const wanted = entityType || record.kind;
  if (entityTypes.some((t) => t.key === wanted)) typeSelect.value = wanted;
  else if (entityTypes.some((t) => t.key === "other")) typeSelect.value = "other";
  const tags = el("input", { id: "la-tags", type: "text", autocomplete: "off" });
  const visibility = el("select", { id: "la-visibility" }, el("option", { value: "private", text: "Only me" }),
    ...groups.map((g) => el("option", { value: `group:${g}`, text: `Group: ${g}` })),
    el("option", { value: "public", text: "Everyone (public)" }));
  const error = el("p", { class: "error", id: "la-error", role: "alert", hidden: true });
  const save = el("button", { type: "submit", class: "primary", id: "la-save", text: "Link", disabled: true });
  const cancel = el("button", { type: "button", id: "la-cancel", text: "Cancel" });
  const form = el("form", { method: "dialog", class: "stacked-form" }, title, scopeBox, summary,
    el("p", { class: "la-ticks small" }, tickAll, " · ", untickAll), list,
    el("div", { class: "la-fields" },
      el("label", { for: "la-type", text: "Entity type" }), typeSelect,
      el("label", { for: "la-tags" }, "Tags ", el("span", { class: "muted small", text: "(comma separated)" })), tags,
      el("label", { for: "la-visibility", text: "Visible to" }), visibility),
    el("p", { class: "small muted", text: `Each ticked passage becomes an annotation linked to ${record.label}, made as one batch that you can undo as a whole.` }),
    error, el("div", { class: "buttons" }, save, cancel));
  const dialog = el("dialog", { id: "link-all", class: "ann-editor link-all", "aria-labelledby": "la-title" }, form);
  document.body.append(dialog);

  const boxes = () => Array.from(list.querySelectorAll("input[type=checkbox]:not(:disabled)"));
  function count() {
    const n = boxes().filter((b) => b.checked).length;
    save.textContent = `Link ${n} passage${n === 1 ? "" : "s"}`;
    save.disabled = n === 0;
  }

  async function load() {
    list.replaceChildren();
    summary.textContent = "Finding the passages…";
    save.disabled = true;
    const query = scope === "document" && slug ? `?document=${encodeURIComponent(slug)}` : "";
    let data;
    try {
      data = await jsonRequest("GET", `/api/records/${record.id}/occurrences/${query}`);
    } catch (err) {
      summary.textContent = `Could not find the passages: ${err.message}`;
      return;
    }
    found = data.occurrences;
    const done = found.filter((o) => o.annotated).length;
    const where = scope === "document" ? "in this document" : "across the archive";
    summary.textContent = found.length
      ? `${found.length} passage${found.length === 1 ? "" : "s"} ${where} name ${record.label}` +
        (done ? `; ${done} already annotated with this record (shown done, not ticked).` : ".") +
        (data.truncated ? " Only the first ones are listed." : "")
      : `No passage ${where} names ${record.label}.`;
    list.replaceChildren(...found.map((o, i) => {
      const box = el("input", { type: "checkbox", id: `la-o-${i}`, value: String(i), checked: !o.annotated, disabled: Boolean(o.annotated) });
      const context = el("span", { class: "la-context" }, before(o.prefix, o.start), el("mark", { text: o.quote }), after(o.suffix));
      const label = el("label", { for: `la-o-${i}` }, box, " ",
        scope === "archive" ? el("span", { class: "la-doc small", text: o.document.title }) : null, context);
      const item = el("li", { class: `la-item${o.annotated ? " done" : ""}`, "data-document": o.document.slug,
        "data-start": String(o.start), "data-end": String(o.end) }, label);
      if (o.annotated) item.append(" ", el("span", { class: "la-done small", text: "✓ already annotated" }));
      return item;
    }));
    count();
  }

  list.addEventListener("change", count);
  tickAll.addEventListener("click", () => { boxes().forEach((b) => { b.checked = true; }); count(); });
  untickAll.addEventListener("click", () => { boxes().forEach((b) => { b.checked = false; }); count(); });
  if (scopeBox) scopeBox.addEventListener("change", (event) => { scope = event.target.value; load(); });
  cancel.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (opener && document.contains(opener)) opener.focus({ preventScroll: true });
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const passages = boxes().filter((b) => b.checked).map((b) => found[Number(b.value)])
      .map((o) => ({ document: o.document.slug, start: o.start, end: o.end }));
    if (!passages.length) return;
    save.disabled = true;
    let result;
    try {
      result = await jsonRequest("POST", `/api/records/${record.id}/occurrences/`, {
        ...(scope === "document" && slug ? { document: slug } : {}), passages,
        entity_type: typeSelect.value, tags: splitTags(tags.value), visibility: visibility.value,
      }, csrf);
    } catch (err) {
      error.textContent = `Could not link them: ${err.message}`;
      error.hidden = false;
      count();
      return;
    }
    dialog.close();
    await onDone(result, passages);
    const batch = result.batch;
    notify(result.detail, {
      action: "Undo batch", duration: UNDO_BATCH_MS,
      spoken: `${result.detail} An Undo batch button is at the bottom of the page for a while.`,
      onAction: async () => {
        try {
          const undone = await jsonRequest("POST", `/api/batches/${batch.id}/undo/`, undefined, csrf);
          await onUndone(undone);
          notify(`Batch undone: ${undone.detail}`, { duration: undone.kept.length ? 15000 : 6000 });
        } catch (err) {
          notify(`Could not undo the batch: ${err.message}`, { duration: 10000 });
        }
      },
    });
  });

  dialog.showModal();
  load().then(() => {
    const first = dialog.querySelector("input[name=la-scope]:checked") || boxes()[0] || save;
    if (dialog.open && dialog.contains(document.activeElement) === false) first.focus();
    else if (dialog.open && document.activeElement === dialog) first.focus();
  });
  return dialog;
}
