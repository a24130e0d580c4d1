// The reading room's script: select → annotate, cards, suggestions, deep links, side-list filters.
//
// The page is complete without it: the server renders the text cut into segments at every
// annotation boundary, each segment carrying `data-start`, its offset in the stored text in
// Unicode code points (Python str indices). This script maps DOM selections back to those offsets
// (JavaScript strings count UTF-16 units, so it counts code points at that boundary), talks to the
// W3C annotation API, and after each change re-reads the server-rendered page fragment so that the
// highlights are drawn by the one renderer. It writes untrusted text only through textContent.

import { el, jsonRequest, openLinkAll } from "./link_all.js";

const ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld";
const LDP_TYPE = `application/ld+json; profile="${ANNO_CONTEXT}"`;
const QUOTE_CONTEXT = 32;
const UNDO_MS = 8000; // how long "Undo" is offered after a delete before the deletion is sent
const TOAST_MS = 4000;
const NARROW = "(max-width: 60rem)"; // one column: the side panel becomes a sheet

const dataNode = document.getElementById("reading-room-data");
if (dataNode) start(JSON.parse(dataNode.textContent));

// ---- offsets: UTF-16 ↔ code points -------------------------------------------------------------

/** Number of code points in a JS string (a surrogate pair counts once). */
export function cpLength(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** UTF-16 index of the code-point index `cp` in `s`. */
export function utf16Index(s, cp) {
  let i = 0;
  for (let n = 0; n < cp && i < s.length; n++) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
  }
  return i;
}

/** Text as the side list's search box compares it (as annotations/reading.py folds it on the server). */
export function fold(text) {
  return (text || "").normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

function start(config) {
  const state = {
    config,
    byId: new Map(),
    text: null, // the stored text as an array of code points, fetched when first needed
    pending: null, // {start, end} of the selection being annotated
    editing: null, // annotation id while editing
    editorRecords: [],
    duplicates: [], // records named as the passage, offered when "new record from this passage" met one
    suggestions: [],
    showSuggestions: true,
    lastFocus: null,
    pendingDelete: null, // {id, etag, timer}: a deletion waiting out its "Undo"
    cursor: null, // the word cursor: {words: [[start, end], ...], anchor, focus} (word indices)
    editorInitial: "", // the editor's fields as opened, to ask before throwing away what was typed
    relationTypes: null,
    relSource: null, // the annotation a relation being made starts from
    relTarget: null, // {id, quote, where}: the annotation it points to
    picking: false, // choosing the relation's other end by clicking (or Enter on) a highlight
  };
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const docText = () => $("#doc-text");
  const status = (message, options = {}) => {
    const el = $("#rr-status");
    if (el) el.textContent = options.spoken || message;
    toast(message, options);
  };
  const narrow = () => window.matchMedia(NARROW).matches;

  // ---- feedback: a visible toast (the live region above speaks it) ------------------------------

  let toastTimer = null;
  let toastOwner = null;
  function toast(message, { action = null, onAction = null, duration = TOAST_MS, quiet = false, owner = null } = {}) {
    const box = $("#rr-toast");
    if (!box || quiet) return;
    clearTimeout(toastTimer);
    const text = document.createElement("span");
    text.className = "toast-text";
    text.textContent = message;
    box.replaceChildren(text);
    if (action) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "toast-action";
      button.textContent = action;
      button.addEventListener("click", () => { hideToast(); onAction(); });
      box.append(button);
    }
    toastOwner = owner;
    box.hidden = false;
    toastTimer = setTimeout(hideToast, duration);
  }

  function hideToast(owner = undefined) {
    if (owner !== undefined && owner !== toastOwner) return;
    clearTimeout(toastTimer);
    const box = $("#rr-toast");
    if (box) { box.hidden = true; box.replaceChildren(); }
    toastOwner = null;
  }

  // ---- the side panel as a sheet on narrow screens -------------------------------------------------

  function openPanel() {
    const panel = $("#ann-panel");
    if (!panel) return;
    closePopover(false);
    if (!panel.classList.contains("was-opened")) {
      // The first time on a small screen the key is folded away: the notes come first.
      panel.classList.add("was-opened");
      const key = $("#ann-panel .legend-box");
      if (key) key.open = false;
    }
    panel.classList.add("open");
    document.documentElement.classList.add("panel-open");
    const toggle = $("#panel-toggle");
    if (toggle) toggle.setAttribute("aria-expanded", "true");
    panel.focus({ preventScroll: true });
  }

  function closePanel(restoreFocus = true) {
    const panel = $("#ann-panel");
    if (!panel || !panel.classList.contains("open")) return false;
    panel.classList.remove("open");
    document.documentElement.classList.remove("panel-open");
    const toggle = $("#panel-toggle");
    if (toggle) {
      toggle.setAttribute("aria-expanded", "false");
      if (restoreFocus) toggle.focus({ preventScroll: true });
    }
    return true;
  }

  function updateCounts() {
    const total = $$("#ann-list .ann-item").filter((li) => !li.dataset.deleting).length;
    for (const el of $$("#panel-toggle .count, #ann-panel-title .count")) el.textContent = `(${total})`;
    return total;
  }

  const csrf = () => ($("#ann-editor-form input[name=csrfmiddlewaretoken]") || $("input[name=csrfmiddlewaretoken]") || {}).value || "";

  indexAnnotations(config.annotations);
  document.documentElement.classList.add("js");
  $$(".js-only").forEach((el) => { el.hidden = false; });

  // ---- mapping a DOM point to a text offset ----------------------------------------------------

  function segmentOf(textNode) {
    const el = textNode.parentElement && textNode.parentElement.closest("[data-start]");
    if (!el || el.hasAttribute("data-end") || !docText().contains(el)) return null;
    return el;
  }

  function textNodeOffset(textNode, unit) {
    const el = segmentOf(textNode);
    if (!el) return null;
    const r = document.createRange();
    r.setStart(el, 0);
    r.setEnd(textNode, unit);
    return Number(el.dataset.start) + cpLength(r.toString());
  }

  function mappableTextNodes() {
    const walker = document.createTreeWalker(docText(), NodeFilter.SHOW_TEXT, {
      acceptNode: (n) => (n.data.length && segmentOf(n) ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT),
    });
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    return nodes;
  }

  /** Offset of a range boundary; a boundary between segments or outside the text snaps inwards. */
  function boundaryOffset(node, unit, isEnd) {
    if (node.nodeType === Node.TEXT_NODE && segmentOf(node)) return textNodeOffset(node, unit);
    const point = document.createRange();
    point.setStart(node, unit);
    const nodes = mappableTextNodes();
    if (!isEnd) {
      const next = nodes.find((t) => point.comparePoint(t, 0) >= 0);
      return next ? textNodeOffset(next, 0) : null;
    }
    const before = nodes.filter((t) => point.comparePoint(t, t.data.length) <= 0).pop();
    return before ? textNodeOffset(before, before.data.length) : null;
  }

  function selectionOffsets() {
    const sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    const range = sel.getRangeAt(0);
    const root = docText();
    if (!root || !range.intersectsNode(root)) return null;
    const s = boundaryOffset(range.startContainer, range.startOffset, false);
    const e = boundaryOffset(range.endContainer, range.endOffset, true);
    if (s === null || e === null || e <= s) return null;
    return { start: s, end: e };
  }

  async function storedText() {
    if (!state.text) {
      const response = await fetch(`/api/documents/${encodeURIComponent(config.slug)}/`, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error("Could not read the document's text.");
      state.text = Array.from((await response.json()).text);
    }
    return state.text;
  }

  /** Trim white space off a range and give it its quote, prefix and suffix (code points). */
  async function describe(range) {
    const cps = await storedText();
    let { start: s, end: e } = range;
    while (s < e && /\s/u.test(cps[s])) s++;
    while (e > s && /\s/u.test(cps[e - 1])) e--;
    if (e <= s) return null;
    return {
      start: s, end: e,
      exact: cps.slice(s, e).join(""),
      prefix: cps.slice(Math.max(0, s - QUOTE_CONTEXT), s).join(""),
      suffix: cps.slice(e, e + QUOTE_CONTEXT).join(""),
    };
  }

  // ---- marking a range in the DOM (deep links, suggestions, the passage being annotated) --------

  /** The mappable text nodes in order, each with its offset and length in code points. */
  function textIndex() {
    return mappableTextNodes().map((node) => ({ node, start: textNodeOffset(node, 0), len: cpLength(node.data) }));
  }

  /** Wrap [s, e) in spans of `className` (one per text node it crosses). Pass the same `index`
   * to wrap many ranges in one pass; it is kept up to date as text nodes are split. */
  function wrapRange(s, e, className, attrs = {}, index = textIndex()) {
    const made = [];
    let lo = 0;
    let hi = index.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (index[mid].start + index[mid].len <= s) lo = mid + 1; else hi = mid;
    }
    for (let i = lo; i < index.length && index[i].start < e; i++) {
      const entry = index[i];
      const a = Math.max(s, entry.start);
      const b = Math.min(e, entry.start + entry.len);
      if (a >= b) continue;
      const pieces = [];
      let middle = entry.node;
      const cutA = utf16Index(middle.data, a - entry.start);
      if (cutA > 0) {
        pieces.push({ node: middle, start: entry.start, len: a - entry.start });
        middle = middle.splitText(cutA);
      }
      const cutB = utf16Index(middle.data, b - a);
      let rest = null;
      if (cutB < middle.data.length) rest = middle.splitText(cutB);
      pieces.push({ node: middle, start: a, len: b - a });
      if (rest) pieces.push({ node: rest, start: b, len: entry.start + entry.len - b });
      index.splice(i, 1, ...pieces);
      i += pieces.length - 1;
      const wrapper = document.createElement("span");
      wrapper.className = className;
      wrapper.dataset.start = String(a);
      for (const [k, v] of Object.entries(attrs)) wrapper.setAttribute(k, v);
      middle.parentNode.insertBefore(wrapper, middle);
      wrapper.appendChild(middle);
      made.push(wrapper);
    }
    return made;
  }

  function unwrap(selector) {
    for (const el of $$(selector, docText() || document)) {
      const parent = el.parentNode;
      while (el.firstChild) parent.insertBefore(el.firstChild, el);
      parent.removeChild(el);
      parent.normalize();
    }
  }

  // ---- deep links: #pos=START-END and #hl-ID -----------------------------------------------------

  function followHash() {
    const hash = decodeURIComponent(location.hash || "");
    const pos = /^#pos=(\d+)-(\d+)((?:&[a-z]+(?:=\d+)?)*)$/.exec(hash);
    unwrap(".deep-target");
    if (pos) {
      const s = Number(pos[1]);
      const e = Number(pos[2]);
      if (e <= s || e > config.text_length) return;
      closePanel(false);
      const marks = wrapRange(s, e, "deep-target");
      if (marks.length) {
        marks[0].id = "deep-target";
        marks[0].tabIndex = -1;
        marks[0].scrollIntoView({ block: "center" });
        marks[0].focus({ preventScroll: true });
        status("The linked passage is marked.", { quiet: true });
      }
      // "#pos=S-E&annotate[&record=ID]": the record page's one-click "annotate" opens the editor here.
      const flags = new URLSearchParams(pos[3].slice(1));
      if (flags.has("annotate")) {
        history.replaceState(null, "", `${location.pathname}${location.search}#pos=${s}-${e}`);
        if (config.can_create) openEditor({ range: { start: s, end: e }, record: flags.get("record") });
        else status("Sign in to annotate this passage.");
      }
      return;
    }
    const hl = /^#hl-(\d+)$/.exec(hash);
    if (hl) showAnnotation(Number(hl[1]));
  }

  function showAnnotation(id) {
    const mark = $(`mark.hl[data-ann-ids~="${id}"]`);
    if (!mark) return;
    closePanel(false);
    mark.scrollIntoView({ block: "center" });
    $$(`mark.hl[data-ann-ids~="${id}"]`).forEach((m) => {
      m.classList.add("flash");
      setTimeout(() => m.classList.remove("flash"), 1600);
    });
    openCard([id], mark);
  }

  // ---- cards ---------------------------------------------------------------------------------------

  function indexAnnotations(list) {
    state.byId = new Map(list.map((a) => [a.id, a]));
  }

  function popover() {
    let pop = $("#ann-popover");
    if (!pop) {
      pop = document.createElement("div");
      pop.id = "ann-popover";
      pop.className = "ann-popover";
      pop.setAttribute("role", "dialog");
      pop.setAttribute("aria-label", "Annotation");
      pop.tabIndex = -1;
      pop.hidden = true;
      document.body.appendChild(pop);
    }
    return pop;
  }

  function placeNear(pop, anchor) {
    const rect = anchor.getBoundingClientRect();
    pop.hidden = false;
    if (window.matchMedia("(max-width: 40rem)").matches) {
      pop.classList.add("sheet");
      pop.style.left = "";
      pop.style.top = "";
      return;
    }
    pop.classList.remove("sheet");
    const width = pop.offsetWidth;
    const left = Math.min(Math.max(8, rect.left + window.scrollX), window.scrollX + document.documentElement.clientWidth - width - 8);
    pop.style.left = `${left}px`;
    pop.style.top = `${rect.bottom + window.scrollY + 6}px`;
  }

  function markActive(mark) {
    $$("#doc-text mark.hl.active").forEach((m) => m.classList.remove("active"));
    if (mark && mark.matches && mark.matches("#doc-text mark.hl")) mark.classList.add("active");
  }

  function closePopover(restoreFocus = true) {
    const pop = $("#ann-popover");
    markActive(null);
    if (!pop || pop.hidden) return;
    pop.hidden = true;
    pop.replaceChildren();
    if (restoreFocus && state.lastFocus && document.contains(state.lastFocus)) state.lastFocus.focus({ preventScroll: true });
  }

  function closeButton() {
    const close = document.createElement("button");
    close.type = "button";
    close.className = "pop-close";
    close.dataset.action = "close-popover";
    close.setAttribute("aria-label", "Close");
    close.textContent = "×";
    return close;
  }

  function openCard(ids, anchor) {
    const pop = popover();
    state.lastFocus = document.activeElement;
    pop.replaceChildren(closeButton());
    pop.setAttribute("aria-label", ids.length > 1 ? `${ids.length} overlapping annotations` : "Annotation");
    for (const id of ids) {
      const source = $(`#ann-list .ann-card[data-ann-id="${id}"]`);
      if (!source) continue;
      const card = source.cloneNode(true);
      card.querySelectorAll("[id]").forEach((el) => { el.id = `pop-${el.id}`; });
      card.querySelectorAll("label[for]").forEach((el) => { el.htmlFor = `pop-${el.htmlFor}`; });
      card.querySelectorAll(".js-only").forEach((el) => { el.hidden = false; });
      pop.appendChild(card);
      loadRelations(card);
    }
    placeNear(pop, anchor);
    markActive(anchor);
    pop.focus({ preventScroll: true });
  }

  // ---- the "Annotate" button and the editor ----------------------------------------------------

  function annotateButton() {
    let btn = $("#annotate-btn");
    if (!btn) {
      btn = document.createElement("button");
      btn.type = "button";
      btn.id = "annotate-btn";
      btn.className = "annotate-btn primary";
      btn.textContent = "Annotate";
      btn.setAttribute("aria-label", "Annotate the selected passage (shortcut: a)");
      btn.hidden = true;
      document.body.appendChild(btn);
    }
    return btn;
  }

  function onSelectionChange() {
    if (!config.can_create) return;
    const btn = annotateButton();
    const offsets = selectionOffsets();
    if (!offsets) {
      btn.hidden = true;
      return;
    }
    state.pending = offsets;
    const rect = window.getSelection().getRangeAt(0).getBoundingClientRect();
    btn.hidden = false;
    if (window.matchMedia("(max-width: 40rem)").matches) {
      btn.classList.add("docked");
    } else {
      btn.classList.remove("docked");
      btn.style.left = `${Math.max(8, rect.right + window.scrollX - btn.offsetWidth)}px`;
      btn.style.top = `${rect.bottom + window.scrollY + 8}px`;
    }
  }

  const editor = () => $("#ann-editor");

  // ---- tags: a comma-separated field with its own suggestion list ------------------------------------
  //
  // Enter never saves from here: it takes the highlighted suggestion, or ends the tag being typed.

  let tagOptions = [];
  let activeTag = -1;

  function tagParts() {
    const value = $("#ed-tags").value;
    const cut = value.lastIndexOf(",");
    const done = cut >= 0 ? value.slice(0, cut).split(",").map((t) => t.trim()).filter(Boolean) : [];
    return { done, token: (cut >= 0 ? value.slice(cut + 1) : value).trim() };
  }

  function setTags(done, open = true) {
    $("#ed-tags").value = done.length ? `${done.join(", ")}${open ? ", " : ""}` : "";
  }

  function closeTagOptions() {
    const list = $("#ed-tag-options");
    if (!list) return;
    list.hidden = true;
    list.replaceChildren();
    $("#ed-tags").setAttribute("aria-expanded", "false");
    $("#ed-tags").removeAttribute("aria-activedescendant");
    tagOptions = [];
    activeTag = -1;
  }

  function fillTagOptions() {
    const list = $("#ed-tag-options");
    if (!list) return;
    const { done, token } = tagParts();
    const want = fold(token);
    if (!want) { closeTagOptions(); return; }
    const taken = new Set(done.map(fold));
    tagOptions = config.tags
      .filter((t) => fold(t).includes(want) && !taken.has(fold(t)) && fold(t) !== want)
      .sort((a, b) => (fold(b).startsWith(want) - fold(a).startsWith(want)) || a.localeCompare(b))
      .slice(0, 8);
    if (!tagOptions.length) { closeTagOptions(); return; }
    list.replaceChildren(...tagOptions.map((t, i) => {
      const li = document.createElement("li");
      li.id = `ed-tag-opt-${i}`;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.dataset.index = String(i);
      li.textContent = t;
      return li;
    }));
    list.hidden = false;
    $("#ed-tags").setAttribute("aria-expanded", "true");
    activeTag = -1;
  }

  function pickTag(i) {
    const tag = tagOptions[i];
    if (tag === undefined) return;
    setTags([...tagParts().done, tag]);
    closeTagOptions();
    $("#ed-tags").focus();
  }

  function moveTag(delta) {
    const options = $$("#ed-tag-options [role=option]");
    if (!options.length) return;
    activeTag = (activeTag + delta + options.length) % options.length;
    options.forEach((o, i) => o.setAttribute("aria-selected", i === activeTag ? "true" : "false"));
    $("#ed-tags").setAttribute("aria-activedescendant", options[activeTag].id);
    options[activeTag].scrollIntoView({ block: "nearest" });
  }

  function onTagKey(event) {
    const open = !$("#ed-tag-options").hidden;
    if (event.key === "ArrowDown") { event.preventDefault(); if (!open) fillTagOptions(); moveTag(1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); moveTag(-1); }
    else if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
      event.preventDefault(); // a tag field never submits the editor
      if (event.isComposing) return;
      if (open && activeTag >= 0) { pickTag(activeTag); return; }
      const { done, token } = tagParts();
      if (token) setTags([...done, token]);
      closeTagOptions();
    } else if (event.key === "Escape" && open) { event.preventDefault(); closeTagOptions(); }
  }

  function renderRecordChips() {
    const list = $("#ed-records");
    list.replaceChildren(...state.editorRecords.map((r, i) => {
      const li = document.createElement("li");
      li.className = "chip";
      const a = document.createElement("a");
      a.href = r.url;
      a.textContent = r.label;
      a.target = "_blank";
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "chip-remove";
      remove.dataset.action = "remove-record";
      remove.dataset.index = String(i);
      remove.setAttribute("aria-label", `Remove link to ${r.label}`);
      remove.textContent = "×";
      li.append(a, remove);
      return li;
    }));
  }

  async function linkedRecord(id) {
    if (!id) return null;
    try {
      const response = await fetch(`/api/records/${encodeURIComponent(id)}/`, { headers: { Accept: "application/json" } });
      if (!response.ok) return null;
      const r = await response.json();
      return { id: r.id, label: r.label, kind: r.kind, url: new URL(r.url, location.origin).pathname };
    } catch {
      return null;
    }
  }

  async function openEditor({ range = null, annotation = null, record = null } = {}) {
    const dlg = editor();
    if (!dlg) return;
    closePopover(false);
    $("#ed-error").hidden = true;
    clearDuplicateWarning();
    state.editing = annotation ? annotation.id : null;
    if (annotation) {
      state.pending = null;
      $("#ann-editor-title").textContent = "Edit annotation";
      $("#ed-quote").textContent = annotation.quote;
      $("#ed-comment").value = annotation.comment;
      $("#ed-tags").value = annotation.tags.join(", ");
      $("#ed-entity").value = annotation.entity_type ? annotation.entity_type.key : "";
      state.editorRecords = annotation.records.map((r) => ({ ...r }));
      $("#ed-visibility").value = annotation.visibility;
    } else {
      let described;
      try {
        described = await describe(range);
      } catch (err) {
        status(err.message);
        return;
      }
      if (!described) return;
      state.pending = described;
      $("#ann-editor-title").textContent = "Annotate";
      $("#ed-quote").textContent = described.exact;
      $("#ed-comment").value = "";
      $("#ed-tags").value = "";
      $("#ed-entity").value = "";
      state.editorRecords = [];
      $("#ed-visibility").value = "private";
      unwrap(".pending-target");
      wrapRange(described.start, described.end, "pending-target");
      const linked = await linkedRecord(record);
      if (linked) {
        state.editorRecords = [linked];
        if ($(`#ed-entity option[value="${CSS.escape(linked.kind)}"]`)) $("#ed-entity").value = linked.kind;
      }
    }
    closeTagOptions();
    renderRecordChips();
    closeRecordOptions();
    $("#ed-record-q").value = "";
    annotateButton().hidden = true;
    state.lastFocus = annotation ? document.activeElement : $("#doc-text");
    $("#ed-discard").hidden = true;
    state.editorInitial = editorSnapshot();
    dlg.showModal();
    $("#ed-comment").focus();
  }

  const editorSnapshot = () => JSON.stringify([$("#ed-comment").value, $("#ed-tags").value, $("#ed-entity").value,
    state.editorRecords.map((r) => r.id), $("#ed-visibility").value]);
  const editorDirty = () => Boolean(editor() && editor().open && editorSnapshot() !== state.editorInitial);

  /** Escape in the editor: ask first when something was typed; Escape again (or Discard) throws it away. */
  function askDiscard() {
    const box = $("#ed-discard");
    box.hidden = false;
    $("#ed-discard-no").focus();
    status("Throw away what you typed? Escape again or Discard throws it away; Keep editing goes back.", { quiet: true });
  }

  function keepEditing() {
    $("#ed-discard").hidden = true;
    $("#ed-comment").focus();
  }

  function closeEditor() {
    const dlg = editor();
    if (dlg && dlg.open) dlg.close();
  }

  function onEditorClosed() {
    closeTagOptions();
    $("#ed-discard").hidden = true;
    unwrap(".pending-target");
    state.editing = null;
    if (state.lastFocus && document.contains(state.lastFocus)) state.lastFocus.focus({ preventScroll: true });
  }

  function annotationBody() {
    const body = [];
    const comment = $("#ed-comment").value.trim();
    if (comment) body.push({ type: "TextualBody", purpose: "commenting", value: comment, format: "text/plain" });
    const tags = [...new Set($("#ed-tags").value.split(",").map((t) => t.trim()).filter(Boolean))];
    for (const tag of tags) body.push({ type: "TextualBody", purpose: "tagging", value: tag });
    const entity = $("#ed-entity").value;
    if (entity) body.push({ type: "TextualBody", purpose: "classifying", value: entity });
    for (const r of state.editorRecords) {
      body.push({ type: "SpecificResource", purpose: "identifying", source: new URL(r.url, location.origin).href });
    }
    const motivation = comment ? "commenting" : state.editorRecords.length ? "identifying"
      : entity ? "classifying" : tags.length ? "tagging" : "highlighting";
    return { body, motivation, tags };
  }

  function targetFor(d) {
    return {
      source: new URL(config.document_url, location.origin).href,
      selector: [
        { type: "TextPositionSelector", start: d.start, end: d.end },
        { type: "TextQuoteSelector", exact: d.exact, prefix: d.prefix, suffix: d.suffix },
      ],
    };
  }

  async function api(method, url, payload, etag, { keepalive = false } = {}) {
    const headers = { Accept: LDP_TYPE, "X-CSRFToken": csrf() };
    if (payload) headers["Content-Type"] = LDP_TYPE;
    if (etag) headers["If-Match"] = etag;
    const response = await fetch(url, {
      method, headers, credentials: "same-origin", body: payload ? JSON.stringify(payload) : undefined, keepalive,
    });
    if (!response.ok) {
      let detail = `${response.status} ${response.statusText}`;
      try {
        const problem = await response.json();
        detail = problem.detail || Object.entries(problem).map(([k, v]) => `${k}: ${[].concat(v).join(" ")}`).join("; ") || detail;
      } catch { /* not JSON */ }
      throw new Error(detail);
    }
    return response;
  }

  async function current(id) {
    const response = await api("GET", `/api/annotations/${id}/`);
    return { etag: response.headers.get("ETag"), data: await response.json() };
  }

  async function saveEditor(event) {
    event.preventDefault();
    const error = $("#ed-error");
    error.hidden = true;
    const save = $("#ed-save");
    save.disabled = true;
    try {
      const { body, motivation } = annotationBody();
      const visibility = $("#ed-visibility").value;
      let id = state.editing;
      if (id) {
        const { etag, data } = await current(id);
        const payload = { ...data, body, motivation, visibility };
        await api("PUT", `/api/annotations/${id}/`, payload, etag);
      } else {
        const d = state.pending;
        const payload = { "@context": ANNO_CONTEXT, type: "Annotation", motivation, body, target: targetFor(d), visibility };
        const response = await api("POST", "/api/annotations/", payload);
        id = idFromUrl(response.headers.get("Location") || (await response.json()).id);
      }
      for (const tag of annotationBody().tags) if (!config.tags.includes(tag)) config.tags.push(tag);
      window.getSelection().removeAllRanges();
      closeEditor();
      await refresh();
      status("Annotation saved.");
      if (id) { flash(id); focusHighlight(id); }
    } catch (err) {
      error.textContent = `Could not save: ${err.message}`;
      error.hidden = false;
    } finally {
      save.disabled = false;
    }
  }

  function idFromUrl(url) {
    const m = /\/annotations\/(\d+)\/?$/.exec(url || "");
    return m ? Number(m[1]) : null;
  }

  function flash(id) {
    $$(`mark.hl[data-ann-ids~="${id}"]`).forEach((m) => {
      m.classList.add("flash");
      setTimeout(() => m.classList.remove("flash"), 1600);
    });
  }

  // ---- delete, with Undo ---------------------------------------------------------------------------
  //
  // A deletion is held back for UNDO_MS while the toast offers "Undo": the note disappears from the
  // page at once, and the DELETE is sent when the time is up, when another change needs the page
  // re-read, or when the page is hidden or closed (then as a keepalive request, which the browser
  // completes after the page has gone). Undo needs no restore on the server, so it stays a curators'
  // action there.

  async function deleteAnnotation(id) {
    await flushDelete();
    let etag;
    try {
      ({ etag } = await current(id));
    } catch (err) {
      status(`Could not delete: ${err.message}`);
      return;
    }
    closePopover(false);
    const pending = { id, etag, timer: null };
    state.pendingDelete = pending;
    markDeleting(id, true);
    pending.timer = setTimeout(() => commitDelete(pending), UNDO_MS);
    status("Annotation deleted.", {
      action: "Undo", onAction: () => undoDelete(pending), duration: UNDO_MS, owner: pending,
      spoken: "Annotation deleted. An Undo button is at the bottom of the page for a few seconds.",
    });
  }

  function markDeleting(id, on) {
    const li = $(`#ann-list .ann-item[data-ann-id="${id}"]`);
    if (li) {
      if (on) li.dataset.deleting = "1"; else delete li.dataset.deleting;
    }
    for (const mark of $$("#doc-text mark.hl")) {
      const all = (mark.dataset.annIdsAll || mark.dataset.annIds).split(" ");
      if (!all.includes(String(id))) continue;
      if (on) {
        mark.dataset.annIdsAll = all.join(" ");
        const rest = mark.dataset.annIds.split(" ").filter((x) => x && x !== String(id));
        mark.dataset.annIds = rest.join(" ");
        mark.classList.toggle("hl-gone", rest.length === 0);
      } else {
        mark.dataset.annIds = mark.dataset.annIdsAll;
        delete mark.dataset.annIdsAll;
        mark.classList.remove("hl-gone");
      }
    }
    applyFilters();
  }

  async function commitDelete(pending, { keepalive = false } = {}) {
    if (state.pendingDelete !== pending) return;
    state.pendingDelete = null;
    clearTimeout(pending.timer);
    hideToast(pending);
    try {
      await api("DELETE", `/api/annotations/${pending.id}/`, null, pending.etag, { keepalive });
    } catch (err) {
      if (keepalive) return;
      markDeleting(pending.id, false);
      status(`Could not delete: ${err.message}`);
      return;
    }
    if (!keepalive) await refresh({ flush: false }).catch(() => {});
  }

  async function flushDelete() {
    if (state.pendingDelete) await commitDelete(state.pendingDelete);
  }

  function undoDelete(pending) {
    if (state.pendingDelete !== pending) return;
    state.pendingDelete = null;
    clearTimeout(pending.timer);
    markDeleting(pending.id, false);
    status("Annotation kept: the deletion was undone.");
  }

  function sendPendingDelete() {
    if (state.pendingDelete) commitDelete(state.pendingDelete, { keepalive: true });
  }

  async function sendReply(form) {
    const response = await fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf() },
    });
    if (!response.ok) {
      status("Could not add the reply.");
      return;
    }
    const card = form.closest(".ann-card");
    const id = Number(card.dataset.annId);
    closePopover(false);
    await refresh();
    status("Reply added.");
    const mark = $(`mark.hl[data-ann-ids~="${id}"]`);
    if (mark) openCard([id], mark);
  }

  // ---- record autocomplete -----------------------------------------------------------------------

  let recordTimer = null;
  let recordResults = [];
  let activeOption = -1;

  function closeRecordOptions() {
    const list = $("#ed-record-options");
    if (!list) return;
    list.hidden = true;
    list.replaceChildren();
    $("#ed-record-q").setAttribute("aria-expanded", "false");
    $("#ed-record-q").removeAttribute("aria-activedescendant");
    activeOption = -1;
  }

  async function searchRecords(q) {
    if (!q.trim()) { closeRecordOptions(); return; }
    const response = await fetch(`/api/records/?q=${encodeURIComponent(q)}`, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const data = await response.json();
    recordResults = (data.results || data).slice(0, 10);
    const list = $("#ed-record-options");
    list.replaceChildren(...recordResults.map((r, i) => {
      const li = document.createElement("li");
      li.id = `ed-record-opt-${i}`;
      li.setAttribute("role", "option");
      li.dataset.index = String(i);
      li.textContent = r.label;
      const kind = document.createElement("span");
      kind.className = "muted small";
      kind.textContent = ` ${r.kind}`;
      li.appendChild(kind);
      return li;
    }));
    if (!recordResults.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = "No matching record";
      list.appendChild(li);
    }
    list.hidden = false;
    $("#ed-record-q").setAttribute("aria-expanded", "true");
    activeOption = -1;
  }

  function pickRecord(i) {
    const r = recordResults[i];
    if (!r) return;
    if (!state.editorRecords.some((x) => x.id === r.id)) {
      state.editorRecords.push({ id: r.id, label: r.label, kind: r.kind, url: r.url || `/records/${r.id}/` });
    }
    renderRecordChips();
    $("#ed-record-q").value = "";
    closeRecordOptions();
    $("#ed-record-q").focus();
  }

  function moveOption(delta) {
    const options = $$("#ed-record-options [role=option]");
    if (!options.length) return;
    activeOption = (activeOption + delta + options.length) % options.length;
    options.forEach((o, i) => o.setAttribute("aria-selected", i === activeOption ? "true" : "false"));
    $("#ed-record-q").setAttribute("aria-activedescendant", options[activeOption].id);
    options[activeOption].scrollIntoView({ block: "nearest" });
  }

  /** A curator's "new record from this passage". A name some record already has answers 409 with
   * those records: offer to link one of them instead, or to create the record anyway. */
  async function newRecordFromPassage(allowDuplicate = false) {
    const label = $("#ed-quote").textContent.trim();
    const entity = $("#ed-entity").value;
    const kinds = { person: "person", place: "place", organisation: "organisation", event: "event" };
    const form = new FormData();
    form.append("label", label);
    form.append("kind", kinds[entity] || "other");
    if (allowDuplicate) form.append("allow_duplicate", "1");
    const error = $("#ed-error");
    error.hidden = true;
    clearDuplicateWarning();
    let response, data = {};
    try {
      response = await fetch("/records/new-from-passage/", {
        method: "POST", body: form, credentials: "same-origin", headers: { Accept: "application/json", "X-CSRFToken": csrf() },
      });
      data = await response.json().catch(() => ({}));
    } catch {
      response = null;
    }
    if (response && response.status === 409 && Array.isArray(data.existing)) {
      showDuplicateWarning(data);
      return;
    }
    if (!response || !response.ok) {
      error.textContent = data.detail ? `Could not create the record: ${data.detail}` : "Could not create the record.";
      error.hidden = false;
      return;
    }
    addEditorRecord(data);
    status(`Record ${data.label} created and linked.`);
  }

  function addEditorRecord(record) {
    if (!state.editorRecords.some((x) => x.id === record.id)) state.editorRecords.push(record);
    renderRecordChips();
  }

  function clearDuplicateWarning() {
    state.duplicates = [];
    const box = $("#ed-duplicate");
    if (box) box.remove();
  }

  function showDuplicateWarning(data) {
    state.duplicates = data.existing;
    const box = document.createElement("div");
    box.id = "ed-duplicate";
    box.className = "ed-duplicate";
    box.setAttribute("role", "alert");
    const message = document.createElement("p");
    message.textContent = data.detail || "A record with this name exists already.";
    const list = document.createElement("ul");
    data.existing.forEach((r, i) => {
      const li = document.createElement("li");
      const link = document.createElement("button");
      link.type = "button";
      link.dataset.action = "link-existing";
      link.dataset.index = String(i);
      link.textContent = `Link ${r.label} instead`;
      const open = document.createElement("a");
      open.href = r.url;
      open.target = "_blank";
      open.textContent = `record ${r.id}`;
      const kind = document.createElement("span");
      kind.className = "muted small";
      kind.textContent = ` (${r.kind}, `;
      kind.append(open, ")");
      li.append(link, kind);
      list.appendChild(li);
    });
    const anyway = document.createElement("button");
    anyway.type = "button";
    anyway.dataset.action = "create-anyway";
    anyway.textContent = "Create a new record anyway";
    anyway.title = "Someone (or something) else with the same name";
    box.append(message, list, anyway);
    $("#ed-new-record").after(box);
    const first = box.querySelector("button");
    if (first) first.focus();
  }

  // ---- suggestions -------------------------------------------------------------------------------

  const dismissedKey = () => `reading-room:dismissed:${config.slug}`;
  const suggestionKey = (s) => `${s.start}-${s.end}-${s.record ? s.record.id : ""}`;
  function dismissed() {
    try { return new Set(JSON.parse(localStorage.getItem(dismissedKey()) || "[]")); } catch { return new Set(); }
  }

  async function loadSuggestions() {
    if (!config.can_create) return;
    try {
      const response = await fetch(`/api/documents/${encodeURIComponent(config.slug)}/suggestions/`, {
        headers: { Accept: "application/json" }, credentials: "same-origin",
      });
      if (!response.ok) return;
      const data = await response.json();
      state.suggestions = Array.isArray(data) ? data : data.results || data.suggestions || [];
    } catch { return; }
    drawSuggestions();
  }

  function drawSuggestions() {
    unwrap(".sugg");
    if (!state.showSuggestions) return;
    const gone = dismissed();
    const taken = new Set(config.annotations.map((a) => `${a.start}-${a.end}`));
    const index = textIndex();
    state.suggestions.forEach((s, i) => {
      if (gone.has(suggestionKey(s)) || taken.has(`${s.start}-${s.end}`)) return;
      const label = s.record ? `${s.record.label} (${s.entity_type || s.record.kind})` : s.entity_type;
      wrapRange(s.start, s.end, "sugg", { "data-sugg": String(i), title: `Suggested: ${label}` }, index);
    });
  }

  function openSuggestion(i, anchor) {
    const s = state.suggestions[i];
    if (!s) return;
    const pop = popover();
    state.lastFocus = document.activeElement;
    const box = document.createElement("div");
    box.className = "sugg-card";
    const h = document.createElement("p");
    h.className = "small muted";
    h.textContent = "Suggested entity";
    const q = document.createElement("blockquote");
    q.className = "ann-quote";
    q.textContent = s.quote;
    const what = document.createElement("p");
    const type = document.createElement("span");
    type.className = `et-badge et-${s.entity_type || "none"}`;
    type.textContent = s.entity_type || "entity";
    what.append(type, " ");
    if (s.record) {
      const a = document.createElement("a");
      a.href = s.record.url;
      a.textContent = s.record.label;
      what.appendChild(a);
    }
    const buttons = document.createElement("div");
    buttons.className = "buttons";
    const accept = document.createElement("button");
    accept.type = "button";
    accept.className = "primary";
    accept.dataset.action = "accept-suggestion";
    accept.dataset.index = String(i);
    accept.textContent = "Accept";
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.dataset.action = "dismiss-suggestion";
    dismiss.dataset.index = String(i);
    dismiss.textContent = "Dismiss";
    buttons.append(accept, dismiss);
    if (s.record) {
      buttons.append(el("button", {
        type: "button", "data-action": "link-all", "data-record-id": String(s.record.id), "data-record-label": s.record.label,
        "data-record-kind": s.record.kind || "", "data-entity": s.entity_type || "", text: "Link all occurrences…",
      }));
    }
    box.append(h, q, what, buttons);
    pop.replaceChildren(closeButton(), box);
    pop.setAttribute("aria-label", "Suggested entity");
    placeNear(pop, anchor);
    accept.focus({ preventScroll: true });
  }

  async function acceptSuggestion(i) {
    const s = state.suggestions[i];
    try {
      const d = await describe({ start: s.start, end: s.end });
      const body = [];
      if (s.entity_type) body.push({ type: "TextualBody", purpose: "classifying", value: s.entity_type });
      if (s.record) body.push({ type: "SpecificResource", purpose: "identifying", source: new URL(s.record.url, location.origin).href });
      const payload = {
        "@context": ANNO_CONTEXT, type: "Annotation", motivation: "identifying", body, target: targetFor(d), visibility: "private",
      };
      const response = await api("POST", "/api/annotations/", payload);
      const id = idFromUrl(response.headers.get("Location"));
      closePopover(false);
      await refresh();
      status("Suggestion accepted.");
      if (id) { flash(id); focusHighlight(id); }
    } catch (err) {
      status(`Could not accept: ${err.message}`);
    }
  }

  function dismissSuggestion(i) {
    const gone = dismissed();
    gone.add(suggestionKey(state.suggestions[i]));
    localStorage.setItem(dismissedKey(), JSON.stringify([...gone]));
    closePopover(false);
    drawSuggestions();
    status("Suggestion dismissed.");
  }

  function suggestionToggle() {
    if (!config.can_create || $("#sugg-toggle")) return;
    const panel = $("#ann-panel .ann-filters");
    if (!panel) return;
    const label = document.createElement("label");
    label.className = "toggle";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.id = "sugg-toggle";
    box.checked = state.showSuggestions;
    label.append(box, " Show suggested entities");
    panel.after(label);
  }

  // ---- side-list filters ---------------------------------------------------------------------------

  const FILTER_PARAMS = [["q", "q"], ["scope", "scope"], ["type", "type"], ["tag", "tag"], ["creator", "creator"],
    ["record", "record"], ["status", "status"]];

  function searchable(a) {
    const parts = [a.quote, a.comment, ...a.tags, a.creator, a.entity_type ? a.entity_type.label : "",
      ...a.records.map((r) => r.label), ...a.replies.map((r) => `${r.creator} ${r.comment}`)];
    return fold(parts.join("\n"));
  }

  /** The side list's filters (annotations/reading.py's matches_filters, in the browser). */
  function matches(a, f, words) {
    if (f.scope === "mine" && !a.mine) return false;
    if ((f.scope === "group" || f.scope === "public") && a.visibility_kind !== f.scope) return false;
    if (f.type && (a.entity_type ? a.entity_type.key : "none") !== f.type) return false;
    if (f.tag && !a.tags.includes(f.tag)) return false;
    if (f.creator && a.creator !== f.creator) return false;
    if (f.record && !a.records.some((r) => String(r.id) === f.record)) return false;
    if (f.status && a.status !== f.status) return false;
    if (!words.length) return true;
    const haystack = searchable(a);
    return words.every((w) => haystack.includes(w));
  }

  function applyFilters() {
    const form = $("#ann-panel .ann-filters");
    if (!form) return;
    const f = Object.fromEntries(FILTER_PARAMS.map(([name]) => [name, form.elements[name] ? form.elements[name].value.trim() : ""]));
    const words = fold(f.q).split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const li of $$("#ann-list .ann-item")) {
      const a = state.byId.get(Number(li.dataset.annId));
      const ok = Boolean(a) && !li.dataset.deleting && matches(a, f, words);
      li.hidden = !ok;
      if (ok) shown++;
    }
    const total = updateCounts();
    $("#ann-empty").hidden = shown > 0;
    const counter = $("#ann-shown");
    if (counter) {
      counter.hidden = shown === total;
      counter.replaceChildren(`Showing ${shown} of ${total}.`);
    }
    const clear = $("#ann-panel .clear-filters");
    if (clear) clear.hidden = !FILTER_PARAMS.some(([name]) => f[name]);
    const params = new URLSearchParams(location.search);
    for (const [name, param] of FILTER_PARAMS) {
      if (f[name]) params.set(param, f[name]); else params.delete(param);
    }
    const query = params.toString();
    history.replaceState(null, "", `${location.pathname}${query ? `?${query}` : ""}${location.hash}`);
  }

  function clearFilters() {
    const form = $("#ann-panel .ann-filters");
    if (!form) return;
    for (const [name] of FILTER_PARAMS) if (form.elements[name]) form.elements[name].value = "";
    applyFilters();
    form.elements.q.focus();
  }

  // ---- refresh: re-read the server-rendered text and list ----------------------------------------

  async function refresh({ flush = true } = {}) {
    if (flush) await flushDelete();
    const response = await fetch(`${location.pathname}${location.search}`, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) throw new Error("Could not reload the annotations.");
    const html = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = html.getElementById("reading-room");
    const freshData = html.getElementById("reading-room-data");
    if (!fresh || !freshData) return;
    const filterState = $("#ann-panel .ann-filters") ? new FormData($("#ann-panel .ann-filters")) : null;
    const moreOpen = Boolean($("#ann-panel .more-filters[open]"));
    const panelOpen = Boolean($("#ann-panel.open"));
    const panelScroll = $("#ann-panel") ? $("#ann-panel").scrollTop : 0;
    const keyOpen = $("#ann-panel .legend-box") ? $("#ann-panel .legend-box").open : true;
    const wasOpened = Boolean($("#ann-panel.was-opened"));
    $("#reading-room").replaceWith(document.importNode(fresh, true));
    if (panelOpen) $("#ann-panel").classList.add("open");
    if (wasOpened) $("#ann-panel").classList.add("was-opened");
    $("#ann-panel").scrollTop = panelScroll;
    if ($("#ann-panel .legend-box")) $("#ann-panel .legend-box").open = keyOpen;
    if (moreOpen) $("#ann-panel .more-filters").open = true;
    const data = JSON.parse(freshData.textContent);
    config.annotations = data.annotations;
    config.tags = data.tags;
    indexAnnotations(config.annotations);
    $$("#reading-room .js-only").forEach((el) => { el.hidden = false; });
    if (filterState) {
      const form = $("#ann-panel .ann-filters");
      for (const [k, v] of filterState) if (form.elements[k]) form.elements[k].value = v;
    }
    applyFilters();
    suggestionToggle();
    drawSuggestions();
    state.cursor = null;
    enhanceText();
    if (/^#pos=/.test(location.hash)) followHash();
  }

  // ---- the keyboard: one tab stop for the text, arrows between highlights, a word cursor ----------
  //
  // The text is one tab stop; the arrow keys move between highlights and suggestions (each becomes
  // focusable as it is reached), Enter opens the focused one. "w" starts a word cursor where the
  // reader is: arrows move it by word, Shift+arrows extend it, Enter (or "a") opens the editor on
  // it, Escape leaves it. No caret browsing needed.

  function enhanceText() {
    const text = docText();
    if (!text) return;
    text.tabIndex = 0;
    text.setAttribute("role", "region");
    text.setAttribute("aria-label", "Document text");
  }

  function stops() {
    const out = [];
    for (const n of $$("#doc-text mark.hl:not(.hl-gone), #doc-text .sugg")) {
      const prev = out[out.length - 1];
      // One stop per note: a note cut by a line break or a style is still one highlight.
      if (prev && n.matches("mark") && prev.matches("mark") && prev.dataset.annIds === n.dataset.annIds) continue;
      out.push(n);
    }
    return out;
  }

  function stopOf(node) {
    if (!(node instanceof Element)) return null;
    const found = node.closest("#doc-text mark.hl, #doc-text .sugg");
    if (!found) return null;
    return stops().find((x) => x === found || (x.matches("mark") && found.matches("mark") && x.dataset.annIds === found.dataset.annIds)) || found;
  }

  function describeStop(stop) {
    if (stop.matches(".sugg")) return `Suggested ${stop.title.replace(/^Suggested: /, "")}: ${stop.textContent}`;
    const ids = stop.dataset.annIds.split(" ");
    return `${stop.dataset.type || "Note"}${ids.length > 1 ? "" : ""}: ${stop.textContent}`;
  }

  function focusStop(stop) {
    if (!stop) return;
    stop.tabIndex = -1;
    stop.focus({ preventScroll: true });
    stop.scrollIntoView({ block: "nearest" });
    status(describeStop(stop), { quiet: true });
  }

  function moveStop(from, delta) {
    const all = stops();
    if (!all.length) { status("No highlights in this text yet.", { quiet: true }); return; }
    const current = stopOf(from);
    let i = current ? all.indexOf(current) : -1;
    if (delta === Infinity) i = all.length - 1;
    else if (delta === -Infinity) i = 0;
    else if (i < 0) i = delta > 0 ? firstVisibleStop(all) : all.length - 1;
    else i = Math.min(all.length - 1, Math.max(0, i + delta));
    focusStop(all[i]);
  }

  function firstVisibleStop(all) {
    const i = all.findIndex((n) => n.getBoundingClientRect().bottom > 0);
    return i < 0 ? 0 : i;
  }

  function openStop(stop) {
    if (state.picking && stop.matches("mark")) { pickEnd(stop); return; }
    if (stop.matches(".sugg")) openSuggestion(Number(stop.dataset.sugg), stop);
    else openCard(stop.dataset.annIds.split(" ").map(Number), stop);
  }

  function wordsOf(cps) {
    const words = [];
    let s = -1;
    for (let i = 0; i <= cps.length; i++) {
      const inWord = i < cps.length && /[\p{L}\p{N}\p{M}'’\-_]/u.test(cps[i]);
      if (inWord && s < 0) s = i;
      if (!inWord && s >= 0) { words.push([s, i]); s = -1; }
    }
    return words;
  }

  async function startWordCursor() {
    if (!config.can_create) { status("Sign in to annotate."); return; }
    const words = wordsOf(await storedText());
    if (!words.length) return;
    let from = 0;
    const active = stopOf(document.activeElement);
    if (active) from = Number(active.dataset.start);
    else {
      const seg = $$("#doc-text [data-start]:not([data-end])").find((n) => n.getBoundingClientRect().bottom > 0);
      if (seg) from = Number(seg.dataset.start);
    }
    let i = words.findIndex(([, e]) => e > from);
    if (i < 0) i = 0;
    state.cursor = { words, anchor: i, focus: i };
    closePopover(false);
    docText().focus({ preventScroll: true });
    drawCursor();
  }

  function cursorRange() {
    const { words, anchor, focus } = state.cursor;
    return { start: words[Math.min(anchor, focus)][0], end: words[Math.max(anchor, focus)][1] };
  }

  function drawCursor() {
    unwrap(".word-cursor");
    const { start: s, end: e } = cursorRange();
    const marks = wrapRange(s, e, "word-cursor");
    if (marks.length) marks[0].scrollIntoView({ block: "nearest" });
    const quote = state.text.slice(s, e).join("");
    status(`Word cursor: “${quote}”. Arrows move, Shift with arrows extends, Enter annotates, Escape leaves.`, { quiet: true });
  }

  function stopWordCursor() {
    state.cursor = null;
    unwrap(".word-cursor");
  }

  function onCursorKey(event) {
    const c = state.cursor;
    const last = c.words.length - 1;
    const step = { ArrowRight: 1, ArrowDown: 8, ArrowLeft: -1, ArrowUp: -8 }[event.key];
    if (step !== undefined) {
      event.preventDefault();
      c.focus = Math.min(last, Math.max(0, c.focus + step));
      if (!event.shiftKey) c.anchor = c.focus;
      drawCursor();
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      c.focus = event.key === "Home" ? 0 : last;
      if (!event.shiftKey) c.anchor = c.focus;
      drawCursor();
    } else if (event.key === "Enter" || event.key === "a") {
      event.preventDefault();
      const range = cursorRange();
      stopWordCursor();
      openEditor({ range });
    } else if (event.key === "Escape") {
      event.preventDefault();
      stopWordCursor();
      status("Word cursor closed.", { quiet: true });
    } else return false;
    return true;
  }

  function focusHighlight(id) {
    const mark = $(`#doc-text mark.hl[data-ann-ids~="${id}"]`);
    if (mark) focusStop(mark);
  }

  // ---- keyboard shortcuts help ----------------------------------------------------------------------

  const SHORTCUTS = [
    [["Tab"], "Reach the text (one stop), then the side list"],
    [["→", "↓"], "Next highlight or suggestion in the text"],
    [["←", "↑"], "Previous highlight or suggestion"],
    [["Home", "End"], "First / last highlight"],
    [["Enter"], "Open the focused highlight's card (or the suggestion)"],
    [["w"], "Start a word cursor in the text: select a passage without a mouse"],
    [["→", "←"], "Word cursor: move by a word (↓ ↑ by eight words)"],
    [["Shift+→", "Shift+←"], "Word cursor: extend or shrink the selection"],
    [["Enter", "a"], "Annotate the selection (word cursor or mouse)"],
    [["1", "…", "9"], "In the editor, outside a text field: choose the entity type"],
    [["Enter"], "In Tags: take the highlighted tag (never saves)"],
    [["Ctrl+Enter"], "Save the editor"],
    [["Escape"], "Close a card, the word cursor or the sheet; in the editor, ask before throwing away what you typed"],
    [["?"], "This list"],
  ];

  function openShortcuts() {
    let dlg = $("#shortcuts");
    if (!dlg) {
      const rows = SHORTCUTS.map(([keys, what]) => el("tr", {},
        el("th", { scope: "row" }, ...keys.flatMap((k, i) => [i ? " " : null, k === "…" ? "…" : el("kbd", { text: k })]).filter(Boolean)),
        el("td", { text: what })));
      const close = el("button", { type: "button", class: "primary", text: "Close" });
      dlg = el("dialog", { id: "shortcuts", class: "ann-editor shortcuts", "aria-labelledby": "shortcuts-title" },
        el("h2", { id: "shortcuts-title", text: "Keyboard shortcuts" }),
        el("table", { class: "shortcuts-table" }, el("tbody", {}, ...rows)),
        el("div", { class: "buttons" }, close));
      close.addEventListener("click", () => dlg.close());
      dlg.addEventListener("close", () => { if (dlg.opener && document.contains(dlg.opener)) dlg.opener.focus({ preventScroll: true }); });
      document.body.append(dlg);
    }
    dlg.opener = document.activeElement;
    dlg.showModal();
    dlg.querySelector("button").focus();
  }

  // ---- link all occurrences ---------------------------------------------------------------------------

  function linkAll(button) {
    closePopover(true); // focus back on the highlight or suggestion, where the dialog returns it
    openLinkAll({
      record: { id: Number(button.dataset.recordId), label: button.dataset.recordLabel, kind: button.dataset.recordKind },
      document: config.slug, entityTypes: config.entity_types, groups: config.groups, entityType: button.dataset.entity,
      csrf: csrf(), notify: status,
      onDone: async (result) => {
        await refresh().catch(() => {});
        // Focus on the first new highlight in this text, as after saving one.
        const here = (result.annotations || []).map(idFromUrl).find((id) => id && $(`#doc-text mark.hl[data-ann-ids~="${id}"]`));
        if (here) focusHighlight(here);
      },
      onUndone: async () => { await refresh().catch(() => {}); },
    });
  }

  // ---- relations: on the card, and making one -----------------------------------------------------

  function endLink(end) {
    const here = end.document.slug === config.slug;
    const names = end.records.map((r) => r.label).join(", ");
    const text = `“${end.quote || "(no passage)"}”${names ? ` (${names})` : ""}`;
    const link = here
      ? el("a", { href: `#hl-${end.id}`, class: "jump", "data-ann-id": String(end.id), text })
      : el("a", { href: new URL(end.link, location.origin).pathname + new URL(end.link, location.origin).hash, text });
    return here ? [link] : [link, el("span", { class: "muted small", text: ` in ${end.document.title}` })];
  }

  function relationItem(r, direction) {
    const type = el("span", { class: "rel-type", text: r.type.label });
    const li = el("li", { class: `rel rel-${direction}`, "data-relation-id": String(r.id) });
    if (direction === "out") li.append(el("span", { class: "muted", text: "this → " }), type, " → ", ...endLink(r.target));
    else li.append(...endLink(r.source), " → ", type, el("span", { class: "muted", text: " → this" }));
    if (r.comment) li.append(el("span", { class: "rel-comment small", text: ` — ${r.comment}` }));
    if (r.status !== "approved") li.append(" ", el("span", { class: `status-badge status-${r.status}`, text: r.status }));
    if (r.can_edit) {
      li.append(" ", el("button", { type: "button", class: "link small", "data-action": "delete-relation", "data-relation-id": String(r.id),
        "aria-label": `Delete the relation “${r.type.label}”`, text: "Delete" }));
    }
    return li;
  }

  async function loadRelations(card) {
    const box = card.querySelector(".ann-relations");
    if (!box || box.dataset.loading) return;
    box.dataset.loading = "1";
    const list = box.querySelector(".rel-list");
    try {
      const data = await jsonRequest("GET", box.dataset.relationsUrl);
      const items = [...data.outgoing.map((r) => relationItem(r, "out")), ...data.incoming.map((r) => relationItem(r, "in"))];
      list.replaceChildren(...(items.length ? items : [el("li", { class: "muted small", text: "No relations yet." })]));
    } catch (err) {
      list.replaceChildren(el("li", { class: "muted small", text: `Relations could not be read: ${err.message}` }));
    } finally {
      delete box.dataset.loading;
    }
  }

  async function deleteRelation(id, button) {
    try {
      const { etag } = await current(id);
      await api("DELETE", `/api/annotations/${id}/`, null, etag);
    } catch (err) {
      status(`Could not delete the relation: ${err.message}`);
      return;
    }
    const card = button.closest(".ann-card");
    status("Relation deleted.");
    if (card) loadRelations(card);
  }

  const relEditor = () => $("#rel-editor");

  async function openRelationEditor(sourceId) {
    const dlg = relEditor();
    const source = state.byId.get(sourceId);
    if (!dlg || !source) return;
    closePopover(false);
    state.relSource = source;
    state.relTarget = null;
    state.relOpener = $(`#doc-text mark.hl[data-ann-ids~="${sourceId}"]`) || document.activeElement;
    $("#rel-from").textContent = source.quote;
    $("#rel-error").hidden = true;
    $("#rel-comment").value = "";
    $("#rel-q").value = "";
    $("#rel-visibility").value = "private";
    closeRelOptions();
    renderRelTarget();
    if (!state.relationTypes) {
      try {
        state.relationTypes = await jsonRequest("GET", "/api/relation-types/");
      } catch (err) {
        status(`Could not read the relation types: ${err.message}`);
        return;
      }
      $("#rel-type").replaceChildren(...state.relationTypes.map((t) => el("option", { value: t.key, text: t.label, title: t.description || "" })));
    }
    dlg.showModal();
    $("#rel-type").focus();
  }

  function renderRelTarget() {
    const box = $("#rel-to");
    const t = state.relTarget;
    if (!t) { box.replaceChildren(el("span", { class: "muted", text: "Nothing chosen yet." })); return; }
    box.replaceChildren(el("strong", { text: `“${t.quote}”` }), el("span", { class: "muted small", text: ` ${t.where}` }));
  }

  function startPicking() {
    state.picking = true;
    relEditor().close();
    const banner = $("#pick-banner");
    const cancel = el("button", { type: "button", "data-action": "cancel-pick", text: "Cancel" });
    banner.replaceChildren(el("span", { text: "Click the highlight the relation points to (or move to it with the arrow keys and press Enter). " }), cancel);
    banner.hidden = false;
    const first = stops().find((n) => n.matches("mark") && !n.dataset.annIds.split(" ").every((x) => Number(x) === state.relSource.id));
    if (first) focusStop(first); else docText().focus();
  }

  function endPicking(reopen = true) {
    state.picking = false;
    const banner = $("#pick-banner");
    banner.hidden = true;
    banner.replaceChildren();
    if (reopen) {
      relEditor().showModal();
      $(state.relTarget ? "#rel-comment" : "#rel-pick").focus();
    }
  }

  function pickEnd(mark) {
    const ids = mark.dataset.annIds.split(" ").map(Number).filter((x) => x !== state.relSource.id);
    if (!ids.length) { status("That is the annotation the relation starts from: pick another one."); return; }
    const a = state.byId.get(ids[0]);
    state.relTarget = { id: a.id, quote: a.quote, where: `(${a.entity_type ? a.entity_type.label : "note"} in this document)` };
    renderRelTarget();
    endPicking();
    status(`The relation points to “${a.quote}”.`, { quiet: true });
  }

  let relTimer = null;
  let relResults = [];
  let activeRel = -1;

  function closeRelOptions() {
    const list = $("#rel-options");
    if (!list) return;
    list.hidden = true;
    list.replaceChildren();
    $("#rel-q").setAttribute("aria-expanded", "false");
    $("#rel-q").removeAttribute("aria-activedescendant");
    relResults = [];
    activeRel = -1;
  }

  async function searchEnds(q) {
    const words = fold(q).split(/\s+/).filter(Boolean);
    if (!words.length) { closeRelOptions(); return; }
    const sourceId = state.relSource.id;
    const seen = new Set([sourceId]);
    const found = [];
    for (const a of config.annotations) {
      if (seen.has(a.id) || a.start === null) continue;
      const hay = searchable(a);
      if (words.every((w) => hay.includes(w))) {
        seen.add(a.id);
        found.push({ id: a.id, quote: a.quote, where: "(in this document)", group: "In this document" });
      }
      if (found.length >= 8) break;
    }
    try {
      const data = await jsonRequest("GET", `/api/records/?q=${encodeURIComponent(q)}`);
      const records = (data.results || data).slice(0, 3);
      const lists = await Promise.all(records.map((r) => jsonRequest("GET", `/api/records/${r.id}/annotations/`).catch(() => ({ mentions: [] }))));
      records.forEach((r, i) => {
        for (const m of lists[i].mentions.slice(0, 10)) {
          const id = idFromUrl(m.annotation.id);
          if (!id || seen.has(id)) continue;
          seen.add(id);
          const here = m.document.slug === config.slug;
          found.push({ id, quote: m.quote, where: here ? `(in this document, ${r.label})` : `(in ${m.document.title}, ${r.label})`, group: `Linked to ${r.label}` });
        }
      });
    } catch { /* the local matches are still offered */ }
    if (fold($("#rel-q").value).split(/\s+/).filter(Boolean).join(" ") !== words.join(" ")) return; // typed on since
    relResults = found.slice(0, 20);
    const list = $("#rel-options");
    list.replaceChildren(...relResults.map((r, i) => el("li", { id: `rel-opt-${i}`, role: "option", "aria-selected": "false", "data-index": String(i) },
      `“${r.quote}” `, el("span", { class: "muted small", text: r.where }))));
    if (!relResults.length) list.append(el("li", { class: "muted", text: "No annotation you can see matches." }));
    list.hidden = false;
    $("#rel-q").setAttribute("aria-expanded", "true");
    activeRel = -1;
  }

  function pickRelOption(i) {
    const r = relResults[i];
    if (!r) return;
    state.relTarget = r;
    renderRelTarget();
    closeRelOptions();
    $("#rel-q").value = "";
    $("#rel-comment").focus();
  }

  function moveRelOption(delta) {
    const options = $$("#rel-options [role=option]");
    if (!options.length) return;
    activeRel = (activeRel + delta + options.length) % options.length;
    options.forEach((o, i) => o.setAttribute("aria-selected", i === activeRel ? "true" : "false"));
    $("#rel-q").setAttribute("aria-activedescendant", options[activeRel].id);
    options[activeRel].scrollIntoView({ block: "nearest" });
  }

  async function saveRelation(event) {
    event.preventDefault();
    const error = $("#rel-error");
    error.hidden = true;
    if (!state.relTarget) {
      error.textContent = "Choose the annotation the relation points to: pick a highlight, or find one by its words or a record's name.";
      error.hidden = false;
      $("#rel-pick").focus();
      return;
    }
    const body = [
      { type: "SpecificResource", purpose: "linking", source: new URL(`/api/annotations/${state.relTarget.id}/`, location.origin).href },
      { type: "TextualBody", purpose: "classifying", value: $("#rel-type").value },
    ];
    const comment = $("#rel-comment").value.trim();
    if (comment) body.push({ type: "TextualBody", purpose: "commenting", value: comment, format: "text/plain" });
    const payload = {
      "@context": ANNO_CONTEXT, type: "Annotation", motivation: "linking",
      target: new URL(`/api/annotations/${state.relSource.id}/`, location.origin).href, body, visibility: $("#rel-visibility").value,
    };
    $("#rel-save").disabled = true;
    try {
      await api("POST", "/api/annotations/", payload);
    } catch (err) {
      error.textContent = `Could not save the relation: ${err.message}`;
      error.hidden = false;
      return;
    } finally {
      $("#rel-save").disabled = false;
    }
    const sourceId = state.relSource.id;
    relEditor().close();
    status("Relation saved.");
    const mark = $(`#doc-text mark.hl[data-ann-ids~="${sourceId}"]`);
    if (mark) openCard([sourceId], mark);
    $$(`#ann-list .ann-card[data-ann-id="${sourceId}"], #ann-list .ann-card[data-ann-id="${state.relTarget.id}"]`).forEach((card) => {
      if (card.closest("details[open]")) loadRelations(card);
    });
  }

  // ---- events ----------------------------------------------------------------------------------------

  let selectionTimer = null;
  document.addEventListener("selectionchange", () => {
    clearTimeout(selectionTimer);
    selectionTimer = setTimeout(onSelectionChange, 120);
  });

  document.addEventListener("click", (event) => {
    const target = event.target;
    if (!(target instanceof Element)) return;
    if (state.picking) {
      const pickMark = target.closest("#doc-text mark.hl:not(.hl-gone)");
      if (pickMark) { event.preventDefault(); pickEnd(pickMark); return; }
    }
    const action = target.closest("[data-action]");
    if (action) {
      const kind = action.dataset.action;
      if (kind === "link-all") { linkAll(action); return; }
      if (kind === "add-relation") { openRelationEditor(Number(action.dataset.annId)); return; }
      if (kind === "delete-relation") { deleteRelation(Number(action.dataset.relationId), action); return; }
      if (kind === "cancel-pick") { endPicking(); return; }
      if (kind === "close-popover") { closePopover(); return; }
      if (kind === "close-panel") { closePanel(); return; }
      if (kind === "edit") { const a = state.byId.get(Number(action.dataset.annId)); if (a) openEditor({ annotation: a }); return; }
      if (kind === "delete") { deleteAnnotation(Number(action.dataset.annId)); return; }
      if (kind === "link-existing") {
        const r = state.duplicates[Number(action.dataset.index)];
        if (r) { addEditorRecord(r); clearDuplicateWarning(); status(`Linked to ${r.label}.`); $("#ed-record-q").focus(); }
        return;
      }
      if (kind === "create-anyway") { newRecordFromPassage(true); return; }
      if (kind === "remove-record") { state.editorRecords.splice(Number(action.dataset.index), 1); renderRecordChips(); $("#ed-record-q").focus(); return; }
      if (kind === "accept-suggestion") { acceptSuggestion(Number(action.dataset.index)); return; }
      if (kind === "dismiss-suggestion") { dismissSuggestion(Number(action.dataset.index)); return; }
    }
    if (target.closest("#panel-toggle")) { openPanel(); return; }
    if (target.closest("#shortcuts-open")) { openShortcuts(); return; }
    if (target.closest("#ed-discard-yes")) { closeEditor(); return; }
    if (target.closest("#ed-discard-no")) { keepEditing(); return; }
    if (target.closest("#rel-pick")) { startPicking(); return; }
    if (target.closest("#rel-cancel")) { relEditor().close(); return; }
    const relOption = target.closest("#rel-options [role=option]");
    if (relOption) { pickRelOption(Number(relOption.dataset.index)); return; }
    if (target.closest("#ann-panel .clear-filters")) { event.preventDefault(); clearFilters(); return; }
    const tagOption = target.closest("#ed-tag-options [role=option]");
    if (tagOption) { pickTag(Number(tagOption.dataset.index)); return; }
    if (target.closest("#annotate-btn")) {
      if (state.pending) openEditor({ range: state.pending });
      return;
    }
    if (target.closest("#ed-cancel")) { closeEditor(); return; }
    if (target.closest("#ed-new-record")) { newRecordFromPassage(); return; }
    const option = target.closest("#ed-record-options [role=option]");
    if (option) { pickRecord(Number(option.dataset.index)); return; }
    const jump = target.closest("a.jump[data-ann-id]");
    if (jump) {
      event.preventDefault();
      history.replaceState(null, "", `#hl-${jump.dataset.annId}`);
      showAnnotation(Number(jump.dataset.annId));
      return;
    }
    const inPopover = target.closest("#ann-popover");
    if (inPopover) return;
    const sel = window.getSelection();
    const selecting = sel && !sel.isCollapsed && docText() && docText().contains(sel.anchorNode);
    const sugg = target.closest("#doc-text .sugg");
    if (sugg && !selecting) { openSuggestion(Number(sugg.dataset.sugg), sugg); return; }
    const mark = target.closest("#doc-text mark.hl:not(.hl-gone)");
    if (mark && !selecting) {
      openCard(mark.dataset.annIds.split(" ").map(Number), mark);
      return;
    }
    closePopover(false);
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.id === "ann-editor-form") { saveEditor(event); return; }
    if (form.id === "rel-form") { saveRelation(event); return; }
    if (form.matches("#ann-panel .ann-filters")) { event.preventDefault(); applyFilters(); return; }
    if (form.classList.contains("reply-form")) { event.preventDefault(); sendReply(form); }
  });

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.closest && target.closest("#ann-panel .ann-filters")) applyFilters();
    if (target.id === "sugg-toggle") { state.showSuggestions = target.checked; drawSuggestions(); }
  });

  document.addEventListener("keydown", (event) => {
    const t = event.target instanceof Element ? event.target : null;
    const plain = !event.ctrlKey && !event.metaKey && !event.altKey;
    const typing = Boolean(t && t.closest("textarea, input:not([type=checkbox]):not([type=radio]), [contenteditable]"));
    // The word cursor and the text's own keys, before anything else.
    if (state.cursor && t && docText() && docText().contains(t) && !(editor() && editor().open)) {
      if (plain && onCursorKey(event)) return;
    }
    if (state.picking && event.key === "Escape") { event.preventDefault(); endPicking(); return; }
    if (t && docText() && docText().contains(t) && plain && !typing) {
      const stop = stopOf(t);
      if (["ArrowRight", "ArrowDown"].includes(event.key) && !event.shiftKey) { event.preventDefault(); moveStop(t, 1); return; }
      if (["ArrowLeft", "ArrowUp"].includes(event.key) && !event.shiftKey) { event.preventDefault(); moveStop(t, -1); return; }
      if (event.key === "Home" || event.key === "End") { event.preventDefault(); moveStop(t, event.key === "Home" ? -Infinity : Infinity); return; }
      if ((event.key === "Enter" || event.key === " ") && stop) { event.preventDefault(); openStop(stop); return; }
      if (event.key === "w" && config.can_create && !state.picking) { event.preventDefault(); startWordCursor(); return; }
    }
    // The editor: a digit chooses the entity type outside text fields; Escape asks before throwing text away.
    if (editor() && editor().open && t && editor().contains(t)) {
      if (/^[1-9]$/.test(event.key) && plain && !typing) {
        const option = $("#ed-entity").options[Number(event.key)];
        if (option) {
          event.preventDefault();
          $("#ed-entity").value = option.value;
          status(`Entity type: ${option.textContent}.`, { quiet: true });
        }
        return;
      }
      const optionsOpen = (t.id === "ed-tags" && !$("#ed-tag-options").hidden) || (t.id === "ed-record-q" && !$("#ed-record-options").hidden);
      if (event.key === "Escape" && !optionsOpen && $("#ed-discard").hidden && editorDirty()) {
        event.preventDefault();
        askDiscard();
        return;
      }
    }
    if (relEditor() && relEditor().open && t && t.id === "rel-q") {
      if (event.key === "ArrowDown") { event.preventDefault(); moveRelOption(1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); moveRelOption(-1); }
      else if (event.key === "Enter") { event.preventDefault(); if (activeRel >= 0) pickRelOption(activeRel); else if (relResults.length === 1) pickRelOption(0); }
      else if (event.key === "Escape" && !$("#rel-options").hidden) { event.preventDefault(); closeRelOptions(); }
      return;
    }
    if (event.key === "?" && !typing && !document.querySelector("dialog[open]")) { event.preventDefault(); openShortcuts(); return; }
    if (event.key === "Escape" && $("#ann-popover") && !$("#ann-popover").hidden) { closePopover(); return; }
    if (event.target && event.target.id === "ed-tags") { onTagKey(event); return; }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.closest && event.target.closest("#ann-editor-form")) {
      event.preventDefault();
      $("#ann-editor-form").requestSubmit($("#ed-save"));
      return;
    }
    if (event.key === "Escape" && !(editor() && editor().open) && closePanel()) return;
    const inField = event.target instanceof Element && event.target.closest("input, textarea, select, [contenteditable]");
    if (event.target && event.target.id === "ed-record-q") {
      if (event.key === "ArrowDown") { event.preventDefault(); moveOption(1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); moveOption(-1); }
      else if (event.key === "Enter") { event.preventDefault(); if (activeOption >= 0) pickRecord(activeOption); }
      else if (event.key === "Escape" && !$("#ed-record-options").hidden) { event.preventDefault(); closeRecordOptions(); }
      return;
    }
    if (!inField && (event.key === "a" || event.key === "A") && !event.ctrlKey && !event.metaKey && !event.altKey) {
      const offsets = selectionOffsets();
      if (offsets && config.can_create) { event.preventDefault(); openEditor({ range: offsets }); }
    }
  });

  document.addEventListener("input", (event) => {
    if (event.target.id === "ed-record-q") {
      clearTimeout(recordTimer);
      const q = event.target.value;
      recordTimer = setTimeout(() => searchRecords(q), 200);
    }
    if (event.target.id === "ed-tags") fillTagOptions();
    if (event.target.id === "rel-q") {
      clearTimeout(relTimer);
      const q = event.target.value;
      relTimer = setTimeout(() => searchEnds(q), 250);
    }
    if (event.target.id === "f-q") {
      clearTimeout(filterTimer);
      filterTimer = setTimeout(applyFilters, 150);
    }
  });
  let filterTimer = null;

  // A deletion waiting out its Undo is sent when the page is hidden or closed.
  window.addEventListener("pagehide", sendPendingDelete);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") sendPendingDelete(); });

  const dlg = editor();
  if (dlg) {
    dlg.addEventListener("close", onEditorClosed);
    // Escape that the keydown above did not catch (the browser's own): still ask first.
    dlg.addEventListener("cancel", (event) => {
      if (event.cancelable && $("#ed-discard").hidden && editorDirty()) { event.preventDefault(); askDiscard(); }
    });
  }
  const rel = relEditor();
  if (rel) {
    rel.addEventListener("close", () => {
      closeRelOptions();
      if (!state.picking && state.relOpener && document.contains(state.relOpener)) state.relOpener.focus({ preventScroll: true });
    });
  }
  // The word cursor ends when focus leaves the text.
  document.addEventListener("focusout", (event) => {
    if (!state.cursor || !docText() || !docText().contains(event.target)) return;
    if (!(event.relatedTarget instanceof Node && docText().contains(event.relatedTarget))) stopWordCursor();
  });
  // A card opened in the side list shows its relations.
  document.addEventListener("toggle", (event) => {
    const details = event.target;
    if (details instanceof HTMLDetailsElement && details.open && details.closest("#ann-list")) {
      const card = details.querySelector(".ann-card");
      if (card) loadRelations(card);
    }
  }, true);
  enhanceText();
  window.addEventListener("hashchange", followHash);

  $$(".no-js-only").forEach((el) => { el.hidden = true; });
  applyFilters();
  suggestionToggle();
  followHash();
  loadSuggestions();
  if (config.can_create) storedText().catch(() => {}); // so that the editor opens at once
}
