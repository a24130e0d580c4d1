// Scans beside the text: each page image with its OCR words, kept in step with the reading room.
//
// - A highlight in the text (the reading room's <mark class="hl" data-start>) is drawn on the image
//   over the words it covers (from each word's box and its offsets into the text).
// - Dragging over the image selects those words in the text (a DOM Selection), which the reading
//   room turns into an annotation as it does any selection.
// - Words read with low confidence are outlined on the image and underlined in the text; a
//   curator clicking one can correct it.
// Offsets are Python str indices (code points), as everywhere; JavaScript counts UTF-16 units,
// so this script converts at that boundary. It writes untrusted text only through textContent.

const SVG = "http://www.w3.org/2000/svg";
const root = document.getElementById("scans");
if (root) start(root);

function cpLength(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) i++;
    n++;
  }
  return n;
}

function utf16Index(s, cp) {
  let i = 0;
  for (let n = 0; n < cp && i < s.length; n++) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
  }
  return i;
}

function start(root) {
  const low = Number(root.dataset.low || 60);
  const figures = Array.from(root.querySelectorAll(".scan-page"));
  const words = new Map(); // page number -> [[start, end, x, y, w, h, conf], ...]
  const select = root.querySelector(".scan-select");
  const correct = root.querySelector(".scan-correct");
  let current = figures.length ? Number(figures[0].dataset.page) : null;
  let pinnedUntil = 0;

  const docText = () => document.getElementById("doc-text");
  const figure = (n) => figures.find((f) => Number(f.dataset.page) === n);
  const pageOf = (offset) => {
    let found = figures[0];
    for (const f of figures) if (Number(f.dataset.start) <= offset) found = f;
    return found ? Number(found.dataset.page) : null;
  };

  async function loadWords(n) {
    if (words.has(n)) return words.get(n);
    const f = figure(n);
    const response = await fetch(f.dataset.wordsUrl, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`Could not read the words of page ${n}.`);
    const rows = (await response.json()).words || [];
    words.set(n, rows);
    return rows;
  }

  async function show(n, { pin = false } = {}) {
    if (n === null || !figure(n)) return;
    if (pin) pinnedUntil = Date.now() + 1500;
    current = n;
    for (const f of figures) f.hidden = Number(f.dataset.page) !== n;
    if (select) select.value = String(n);
    await loadWords(n);
    draw();
  }

  // ---- the text's segments and highlights -----------------------------------------------------

  function segments() {
    const el = docText();
    return el ? Array.from(el.querySelectorAll("[data-start]:not([data-end])")) : [];
  }

  function highlights() {
    const el = docText();
    if (!el) return [];
    return Array.from(el.querySelectorAll("mark.hl[data-start]")).map((m) => {
      const s = Number(m.dataset.start);
      const entity = Array.from(m.classList).find((c) => c.startsWith("et-")) || "et-none";
      return { start: s, end: s + cpLength(m.textContent), entity, ids: m.dataset.annIds || "" };
    });
  }

  /** The DOM point (text node, UTF-16 offset) of a code-point offset in the stored text. */
  function domPoint(offset, preferEnd) {
    let best = null;
    for (const seg of segments()) {
      const s = Number(seg.dataset.start);
      const len = cpLength(seg.textContent);
      if (offset < s || offset > s + len) continue;
      if (offset === s + len && !preferEnd) { best = best || { seg, s }; continue; }
      best = { seg, s };
      if (!(offset === s && preferEnd)) break;
    }
    if (!best) return null;
    let remaining = offset - best.s;
    const walker = document.createTreeWalker(best.seg, NodeFilter.SHOW_TEXT);
    let node = null;
    while (walker.nextNode()) {
      node = walker.currentNode;
      const len = cpLength(node.data);
      if (remaining <= len) return { node, offset: utf16Index(node.data, remaining) };
      remaining -= len;
    }
    return node ? { node, offset: node.data.length } : null;
  }

  function domRange(startOffset, endOffset) {
    const a = domPoint(startOffset, false);
    const b = domPoint(endOffset, true);
    if (!a || !b) return null;
    const range = document.createRange();
    range.setStart(a.node, a.offset);
    range.setEnd(b.node, b.offset);
    return range;
  }

  function selectText(startOffset, endOffset) {
    const range = domRange(startOffset, endOffset);
    if (!range) return;
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    const el = range.startContainer.parentElement;
    if (el) el.scrollIntoView({ block: "center", behavior: "smooth" });
  }

  function selectionOffsets() {
    const sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed || !docText()) return null;
    const range = sel.getRangeAt(0);
    const point = (node, unit) => {
      const el = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
      const seg = el && el.closest("[data-start]:not([data-end])");
      if (!seg || !docText().contains(seg)) return null;
      const r = document.createRange();
      r.setStart(seg, 0);
      r.setEnd(node, unit);
      return Number(seg.dataset.start) + cpLength(r.toString());
    };
    const s = point(range.startContainer, range.startOffset);
    const e = point(range.endContainer, range.endOffset);
    return s === null || e === null || e <= s ? null : { start: s, end: e };
  }

  // ---- drawing -----------------------------------------------------------------------------------

  function rect(svg, row, cls) {
    const r = document.createElementNS(SVG, "rect");
    r.setAttribute("x", row[2]);
    r.setAttribute("y", row[3]);
    r.setAttribute("width", row[4]);
    r.setAttribute("height", row[5]);
    r.setAttribute("class", cls);
    svg.appendChild(r);
    return r;
  }

  function draw() {
    const f = figure(current);
    if (!f || !words.has(current)) return;
    const svg = f.querySelector(".scan-overlay");
    svg.replaceChildren();
    const rows = words.get(current);
    const marks = highlights();
    const sel = selectionOffsets();
    for (const row of rows) {
      const [s, e] = row;
      const covering = marks.filter((m) => m.start < e && m.end > s);
      if (covering.length) {
        const r = rect(svg, row, `scan-hl ${covering[covering.length - 1].entity}`);
        r.dataset.annIds = covering.map((m) => m.ids).join(" ");
      }
      if (sel && sel.start < e && sel.end > s) rect(svg, row, "scan-sel");
      if (row[6] < low) {
        const r = rect(svg, row, "scan-low");
        r.appendChild(document.createElementNS(SVG, "title")).textContent = `read with confidence ${row[6]}%`;
      }
    }
    markLowWords();
  }

  function markLowWords() {
    if (!(window.CSS && CSS.highlights && window.Highlight)) return;
    const ranges = [];
    for (const rows of words.values()) {
      for (const row of rows) {
        if (row[6] >= low) continue;
        const range = domRange(row[0], row[1]);
        if (range) ranges.push(range);
      }
    }
    CSS.highlights.set("ocr-low", new Highlight(...ranges));
  }

  // ---- selecting on the image ---------------------------------------------------------------------

  function imagePoint(svg, event) {
    const point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    return point.matrixTransform(svg.getScreenCTM().inverse());
  }

  let drag = null;
  root.addEventListener("pointerdown", (event) => {
    const svg = event.target instanceof Element && event.target.closest(".scan-overlay");
    if (!svg || event.button !== 0) return;
    event.preventDefault();
    svg.setPointerCapture(event.pointerId);
    const p = imagePoint(svg, event);
    drag = { svg, x0: p.x, y0: p.y, band: null };
  });

  root.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const p = imagePoint(drag.svg, event);
    if (!drag.band) {
      drag.band = document.createElementNS(SVG, "rect");
      drag.band.setAttribute("class", "scan-band");
      drag.svg.appendChild(drag.band);
    }
    drag.band.setAttribute("x", Math.min(drag.x0, p.x));
    drag.band.setAttribute("y", Math.min(drag.y0, p.y));
    drag.band.setAttribute("width", Math.abs(p.x - drag.x0));
    drag.band.setAttribute("height", Math.abs(p.y - drag.y0));
  });

  root.addEventListener("pointerup", (event) => {
    if (!drag) return;
    const p = imagePoint(drag.svg, event);
    const box = { x1: Math.min(drag.x0, p.x), y1: Math.min(drag.y0, p.y), x2: Math.max(drag.x0, p.x), y2: Math.max(drag.y0, p.y) };
    if (drag.band) drag.band.remove();
    drag = null;
    const rows = words.get(current) || [];
    const hit = rows.filter((r) => r[2] <= box.x2 && r[2] + r[4] >= box.x1 && r[3] <= box.y2 && r[3] + r[5] >= box.y1);
    if (!hit.length) return;
    const s = Math.min(...hit.map((r) => r[0]));
    const e = Math.max(...hit.map((r) => r[1]));
    pinnedUntil = Date.now() + 2000;
    selectText(s, e);
    if (correct && hit.length === 1 && box.x2 - box.x1 < 4 && box.y2 - box.y1 < 4) openCorrection(hit[0]);
    draw();
  });

  function openCorrection(row) {
    const range = domRange(row[0], row[1]);
    correct.elements.start.value = row[0];
    correct.elements.end.value = row[1];
    correct.elements.text.value = range ? range.toString() : "";
    correct.hidden = false;
  }

  // ---- keeping in step with the text ------------------------------------------------------------

  root.addEventListener("click", (event) => {
    const button = event.target instanceof Element && event.target.closest("[data-scan]");
    if (!button) return;
    const i = figures.findIndex((f) => Number(f.dataset.page) === current);
    if (button.dataset.scan === "prev" && i > 0) show(Number(figures[i - 1].dataset.page), { pin: true });
    if (button.dataset.scan === "next" && i < figures.length - 1) show(Number(figures[i + 1].dataset.page), { pin: true });
    if (button.dataset.scan === "cancel-correct" && correct) correct.hidden = true;
  });
  if (select) select.addEventListener("change", () => show(Number(select.value), { pin: true }));

  let selTimer = null;
  document.addEventListener("selectionchange", () => {
    clearTimeout(selTimer);
    selTimer = setTimeout(() => {
      const sel = selectionOffsets();
      if (sel) {
        const n = pageOf(sel.start);
        if (n !== current) show(n); else draw();
      } else {
        draw();
      }
    }, 150);
  });

  document.addEventListener("click", (event) => {
    const mark = event.target instanceof Element && event.target.closest("#doc-text mark.hl");
    if (mark) show(pageOf(Number(mark.dataset.start)), { pin: true });
  });

  // Follow the text as it scrolls: the page of the topmost paragraph in view.
  const visible = new Map();
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const s = Number(entry.target.dataset.start);
      if (entry.isIntersecting) visible.set(entry.target, s); else visible.delete(entry.target);
    }
    if (!visible.size || Date.now() < pinnedUntil) return;
    const n = pageOf(Math.min(...visible.values()));
    if (n !== current) show(n);
  }, { rootMargin: "0px 0px -60% 0px" });

  function observeBlocks() {
    observer.disconnect();
    visible.clear();
    const el = docText();
    if (el) el.querySelectorAll("[data-start][data-end]").forEach((b) => observer.observe(b));
  }

  // The reading room re-renders the text after each change: draw again when it does.
  let redrawTimer = null;
  new MutationObserver((changes) => {
    if (changes.every((c) => root.contains(c.target))) return;
    clearTimeout(redrawTimer);
    redrawTimer = setTimeout(() => { observeBlocks(); draw(); }, 60);
  }).observe(document.body, { childList: true, subtree: true });

  observeBlocks();
  const hash = /^#pos=(\d+)-(\d+)$/.exec(location.hash);
  show(hash ? pageOf(Number(hash[1])) : current).catch(() => {});
}
