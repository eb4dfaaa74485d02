/**
 * A small element builder: every value from the API goes in as text (textContent or an attribute),
 * never as HTML. No inline style either (the CSP forbids it): classes from styles.css only.
 */
type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

export function replaceChildren(parent: Element, ...children: (Child | Child[])[]): void {
  parent.textContent = '';
  append(parent, children);
}

/** A live region's message (screen readers hear it). */
export function announce(region: Element, message: string, kind: 'info' | 'error' | 'ok' = 'info'): void {
  region.textContent = message;
  region.className = `status status-${kind}`;
}

/**
 * A table: a caption, header cells and rows of cells (strings or nodes). On a phone's width the stylesheet
 * lays each row out as a card of "header: value" lines (every cell carries its column's header in
 * `data-label`), so a table of more than three columns never pushes the page sideways; the explicit ARIA roles keep it a table
 * for screen readers once its CSS display is no longer `table`.
 */
export function table(
  caption: string,
  headers: string[],
  rows: Child[][],
  className = headers.length > 3 ? 'data stack' : 'data',
): HTMLTableElement {
  return h(
    'table',
    { class: className, role: 'table' },
    h('caption', {}, caption),
    h(
      'thead',
      { role: 'rowgroup' },
      h(
        'tr',
        { role: 'row' },
        headers.map((text) => h('th', { scope: 'col', role: 'columnheader' }, text)),
      ),
    ),
    h(
      'tbody',
      { role: 'rowgroup' },
      rows.map((cells) =>
        h(
          'tr',
          { role: 'row' },
          cells.map((cell, index) => h('td', { role: 'cell', 'data-label': headers[index] ?? '' }, cell)),
        ),
      ),
    ),
  );
}
