import type { Page } from 'playwright-core';

/** One element whose colours fall below WCAG AA. */
export interface ContrastFailure {
  what: string;
  kind: 'text' | 'placeholder' | 'control';
  ratio: number;
  needed: number;
}

// Runs in the page as a string (tsx's helpers do not exist there). WCAG 2.x relative
// luminance and contrast ratio, on colours from getComputedStyle; backgrounds are
// composited from the root down (alpha and opacity included), so a colour on a translucent
// layer is judged by what is actually painted under it.
const AUDIT = String.raw`(() => {
  const parse = (value) => {
    const m = /rgba?\(([\d.]+),?\s*([\d.]+),?\s*([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\)/.exec(value);
    if (!m) return null;
    let a = m[4] === undefined ? 1 : m[4].endsWith('%') ? parseFloat(m[4]) / 100 : parseFloat(m[4]);
    return { r: +m[1], g: +m[2], b: +m[3], a };
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const ratio = (x, y) => { const a = luminance(x), b = luminance(y); return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
  const chain = (el) => { const out = []; for (let e = el; e; e = e.parentElement) out.unshift(e); return out; };
  const canvas = () => parse(getComputedStyle(document.documentElement).backgroundColor) || { r: 255, g: 255, b: 255, a: 1 };
  // What is painted behind el's content: every background from the root down, el's own included.
  const backdrop = (el, includeSelf) => {
    let bg = { ...canvas(), a: 1 };
    if (bg.a === 0) bg = { r: 255, g: 255, b: 255, a: 1 };
    for (const e of chain(el)) {
      if (e === el && !includeSelf) break;
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) bg = over(c, bg);
    }
    return bg;
  };
  const opacity = (el) => chain(el).reduce((o, e) => o * parseFloat(getComputedStyle(e).opacity), 1);
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) return false;
    const s = getComputedStyle(el);
    return s.visibility !== 'hidden' && s.display !== 'none' && el.checkVisibility({ opacityProperty: true });
  };
  const modal = document.querySelector('dialog[open]');
  const inScope = (el) => !modal || modal.contains(el);
  const disabled = (el) => el.closest(':disabled') !== null;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '') + ' "' + (el.textContent || el.placeholder || '').trim().slice(0, 30) + '"';
  const failures = [];
  const judge = (el, kind, fg, bg, needed) => {
    const value = ratio(over({ ...fg, a: fg.a * opacity(el) }, bg), bg);
    if (value < needed) failures.push({ what: name(el), kind, ratio: Math.round(value * 100) / 100, needed });
  };
  const large = (s) => parseFloat(s.fontSize) >= 24 || (parseFloat(s.fontSize) >= 18.66 && parseInt(s.fontWeight, 10) >= 700);
  let checked = 0;
  for (const el of document.querySelectorAll('body *')) {
    if (!visible(el) || !inScope(el) || disabled(el)) continue;
    const s = getComputedStyle(el);
    const hasText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== '') || ((el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') && el.value);
    if (hasText) {
      checked++;
      judge(el, 'text', parse(s.color), backdrop(el, true), large(s) ? 3 : 4.5);
    }
    if ((el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') && el.placeholder && !el.value) {
      checked++;
      judge(el, 'placeholder', parse(getComputedStyle(el, '::placeholder').color), backdrop(el, true), 4.5);
    }
    const control = el.matches('button, textarea, select, input:not([type=checkbox]):not([type=radio]):not([type=hidden])');
    if (control) {
      checked++;
      // A control is told apart from its surroundings by its border or by its own fill.
      const around = backdrop(el.parentElement, true);
      const fill = backdrop(el, true);
      const border = parseFloat(s.borderTopWidth) > 0 ? parse(s.borderTopColor) : null;
      const edge = Math.max(ratio(fill, around), border ? ratio(over(border, around), around) : 1);
      if (edge < 3) failures.push({ what: name(el), kind: 'control', ratio: Math.round(edge * 100) / 100, needed: 3 });
    }
  }
  return { failures, checked };
})()`;

/** Every visible text, placeholder and control of the page, judged against WCAG AA. */
export async function auditContrast(page: Page): Promise<{ failures: ContrastFailure[]; checked: number }> {
  return (await page.evaluate(AUDIT)) as { failures: ContrastFailure[]; checked: number };
}

/** Whether the composer's placeholder fits its box on one line (not cut). */
export async function placeholderFits(page: Page): Promise<{ placeholder: string; fits: boolean }> {
  return (await page.evaluate(String.raw`(() => {
    const box = document.getElementById('message');
    const s = getComputedStyle(box);
    const room = box.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
    // Laid out as real text (not the app's own canvas measurement), in the box's font.
    const probe = document.createElement('span');
    probe.textContent = box.placeholder;
    probe.style.cssText = 'position:absolute;visibility:hidden;white-space:pre;font:' + s.font + ';letter-spacing:' + s.letterSpacing;
    document.body.append(probe);
    const width = probe.getBoundingClientRect().width;
    probe.remove();
    return { placeholder: box.placeholder, fits: room > 0 && width <= room };
  })()`)) as { placeholder: string; fits: boolean };
}
