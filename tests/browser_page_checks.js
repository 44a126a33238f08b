// What tests/test_browser_pages.py checks on every page, in the page itself. Returns lists of
// findings (empty lists: the page is fine). Kept beside the test; nothing of it ships.
() => {
  const out = { overflow: [], wrapped: [], codes: [], dateInputs: 0, sidebar: null, charts: [] };
  const name = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (typeof el.className === 'string' && el.className.trim()) s += '.' + el.className.trim().split(/\s+/).join('.');
    return s;
  };
  const shown = (el) => {
    const cs = getComputedStyle(el);
    return cs.display !== 'none' && cs.visibility !== 'hidden';
  };
  const skipped = 'svg, canvas, script, style, [aria-hidden=true], input, select, textarea, option';

  // 1. No element's content is wider than its box unless the box scrolls (a table too wide for
  //    its card, a clipped label), nor taller than a box that clips it.
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest(skipped) || !shown(el)) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'inline' || el.clientWidth === 0) continue;
    const scrollsX = ['auto', 'scroll'].includes(cs.overflowX);
    const scrollsY = ['auto', 'scroll'].includes(cs.overflowY);
    if (!scrollsX && el.scrollWidth > el.clientWidth + 1) {
      out.overflow.push(`${name(el)} is ${el.scrollWidth}px wide in ${el.clientWidth}px: ${(el.innerText || '').slice(0, 40)}`);
    } else if (!scrollsY && ['hidden', 'clip'].includes(cs.overflowY) && el.scrollHeight > el.clientHeight + 1) {
      out.overflow.push(`${name(el)} is ${el.scrollHeight}px tall in ${el.clientHeight}px`);
    }
  }

  // 2. Text: no date or time broken over two lines; no raw code (snake_case or UPPER_SNAKE) shown
  //    as text, except where a page shows an identifier as such (code, .mono, [data-literal]).
  const date = /^\s*\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?\s*$/;
  const code = /\b(?:[a-z][a-z0-9]*(?:_[a-z0-9]+)+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b/g;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!el || el.closest(skipped + ', code, kbd, samp, pre, .mono, [data-literal]') || !shown(el)) continue;
    const text = node.textContent;
    if (date.test(text)) {
      const range = document.createRange();
      range.selectNodeContents(node);
      const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      if (lines.size > 1) out.wrapped.push(`${name(el)}: ${text.trim()}`);
    }
    const found = text.match(code);
    if (found) out.codes.push(`${found.join(' ')} in ${name(el)}`);
  }

  // 3. Dates are typed as yyyy-mm-dd: a type=date input shows the browser's locale (mm/dd/yyyy).
  out.dateInputs = document.querySelectorAll('input[type=date]').length;

  // 4. The sidebar's background reaches the bottom of the page.
  const nav = document.querySelector('nav.sidenav');
  if (nav) {
    const r = nav.getBoundingClientRect();
    out.sidebar = { bottom: Math.round(r.bottom + window.scrollY), page: document.documentElement.scrollHeight };
  }

  // 5. Charts keep their words whole: no truncated labels, no paged legends, axis titles beside
  //    the axis (a title at an axis end is clipped by the grid).
  if (window.echarts) {
    for (const el of document.querySelectorAll('div')) {
      const chart = window.echarts.getInstanceByDom(el);
      if (!chart) continue;
      const o = chart.getOption();
      const where = el.id || 'chart';
      for (const legend of o.legend || []) if (legend.type === 'scroll') out.charts.push(`${where}: paged legend`);
      for (const key of ['xAxis', 'yAxis']) {
        for (const axis of o[key] || []) {
          if (axis.axisLabel && axis.axisLabel.overflow === 'truncate') out.charts.push(`${where}: ${key} labels truncated`);
          if (axis.name && axis.nameLocation !== 'middle') out.charts.push(`${where}: ${key} title "${axis.name}" at the axis end`);
        }
      }
      for (const series of o.series || []) {
        if (series.label && series.label.overflow === 'truncate') out.charts.push(`${where}: ${series.type} labels truncated`);
      }
    }
  }
  return out;
}
