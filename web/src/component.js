// <llm-attention>: one view of the simulator as a custom element, for blog posts.
//   <script src="llm-attention.js"></script>
//   <llm-attention view="heatmap" text="The cat sat." layer="1" head="2"></llm-attention>
//   <llm-attention view="heatmap" measure="contribution" hidefirst></llm-attention>
// Attributes (embed-fields.js) are live. Every element on a page shares one engine host, a Web Worker
// with the WASM module (each element has its own simulator in it; async-engine.js),
// and draws inside a shadow root whose styles neither leak out nor let the host
// page's styles in. Attribute values are untrusted: each is checked
// like a URL parameter, and a bad one falls back to its default with a notice.
// The models come from scripts beside this one, loaded by the engine: llmsim-data.js
// (the default model) at start, models/<name>.js when an element asks for that model.
import { createAsyncEngine } from './async-engine.js';
import { onScreen, releaseCanvas } from './paint/painter.js';
import { startPainting } from './paint/start.js';
import { isSwitch, parseState } from './state.js';
import { Session } from './session.js';
import { mountView, VIEW_NAMES } from './views/index.js';
import { transformNote } from './views/transforms.js';
import { EMBED_FIELDS } from './embed-fields.js';
import pageCss from '../style.css';

// The page's stylesheet, re-aimed at the shadow host: custom properties on :host,
// and the theme chosen by a theme="light|dark" attribute instead of <html data-theme>.
export const COMPONENT_CSS = pageCss
  .replace(/:root\[data-theme="dark"\]/g, ':host([theme="dark"])')
  .replace(/:root:not\(\[data-theme="light"\]\)/g, ':host(:not([theme="light"]))')
  .replace(/:root/g, ':host') + `
:host { display: block; color: var(--text); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; text-align: left; }
:host([hidden]) { display: none; }
.panel.view { margin: 0; }
.embed-notices { margin: 0 0 8px; padding-left: 1.2em; color: var(--warning); font-size: 0.85rem; }
.embed-notices:empty { display: none; }
.embed-status { font-size: 0.85rem; color: var(--muted); margin: 0 0 6px; }
.embed-note { font-size: 0.8rem; color: var(--muted); margin: 0 0 6px; }
:host([guide="off"]) .guide { display: none; }
:host([guide="off"]) .view { grid-template-columns: minmax(0, 1fr); }`;

// A constructed stylesheet, shared by every element and allowed under a strict
// Content-Security-Policy (a <style> element would need style-src 'unsafe-inline').
let sharedSheet = null;
function adoptStyles(root) {
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    if (!sharedSheet) {
      sharedSheet = new CSSStyleSheet();
      sharedSheet.replaceSync(COMPONENT_CSS);
    }
    root.adoptedStyleSheets = [sharedSheet];
  } else {
    const style = document.createElement('style');
    style.textContent = COMPONENT_CSS;
    root.append(style);
  }
}

export class LlmAttentionElement extends HTMLElement {
  static get observedAttributes() { return EMBED_FIELDS; }

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    adoptStyles(this.root);
    this.statusLine = document.createElement('p');
    this.statusLine.className = 'embed-status';
    this.statusLine.setAttribute('role', 'status');
    this.noticeList = document.createElement('ul');
    this.noticeList.className = 'embed-notices';
    // What is drawn that is not one head's plain attention (rollout, a hidden first
    // token) is marked, as beside the page's controls.
    this.noteLine = document.createElement('p');
    this.noteLine.className = 'embed-note';
    this.noteLine.hidden = true;
    this.container = document.createElement('div');
    this.root.append(this.noticeList, this.statusLine, this.noteLine, this.container);
    this.session = null;
    this.panel = null;
    this.ready = null;
    this.ran = false;  // a run (or its error) has come back
  }

  connectedCallback() {
    if (!this.ready) this.ready = this.start();
  }

  disconnectedCallback() {
    // Free the C++ simulator once the element is gone for good (not just moved).
    queueMicrotask(() => {
      if (!this.isConnected && this.session) {
        this.releaseCanvases();
        this.session.dispose();
        this.session = null;
        this.ready = null;
        this.ran = false;
      }
    });
  }

  attributeChangedCallback() {
    if (this.session) this.applyAttributes();
  }

  // The attributes, read exactly as the page reads its URL (a switch given with no
  // value, <llm-attention hidefirst>, is on).
  attributeState() {
    const params = new URLSearchParams();
    for (const name of EMBED_FIELDS) {
      if (!this.hasAttribute(name)) continue;
      const value = this.getAttribute(name);
      params.set(name, value === '' && isSwitch(name) ? '1' : value);
    }
    return parseState(params.toString());
  }

  async start() {
    this.statusLine.textContent = 'Loading the attention simulator…';
    let engine;
    try {
      startPainting();  // beside the engine's worker: the views draw in it
      engine = await createAsyncEngine();
    } catch (error) {
      this.statusLine.textContent = `The simulator could not start: ${error.message}`;
      return;
    }
    const { state, notices } = this.attributeState();
    this.session = new Session(engine, state, this, {
      needs: () => (this.panel && this.panel.needs ? this.panel.needs() : []),
      predicts: () => Boolean(this.panel && this.panel.predicts),
      onLoading: (title) => {
        this.statusLine.textContent = `Loading the model “${title}”…`;
        this.statusLine.hidden = false;
      },
      onRun: (summary, error) => {
        this.statusLine.textContent = error ? error.message : summary.warning || '';
        this.statusLine.hidden = !this.statusLine.textContent;
        this.ran = true;
      },
      onRender: () => {
        if (!this.session) return;  // removed while its run was on its way
        this.showNotices();
        this.noteLine.textContent = transformNote(this.session.state);
        this.noteLine.hidden = !this.noteLine.textContent;
        if (this.panel) this.panel.render();
        if (this.session.loading || !this.ran || this.session.waiting()) return;  // ready once the model has run (or failed)
        onScreen().then(() => {  // and its drawing is on screen (drawn in the painting worker)
          if (!this.session) return;
          this.dataset.ready = 'true';
          this.dispatchEvent(new CustomEvent('llm-attention:render', { bubbles: true, composed: true }));
        });
      },
    });
    this.session.notices = notices;
    this.mountView();
    this.resizeObserver = new ResizeObserver(() => this.session && this.session.render());
    this.resizeObserver.observe(this);
    this.session.run();
  }

  // The painting worker lets go of the canvases of the view shown until now.
  releaseCanvases() {
    if (this.panel) for (const canvas of this.panel.section.querySelectorAll('canvas')) releaseCanvas(canvas);
  }

  mountView() {
    this.releaseCanvases();
    const name = VIEW_NAMES.includes(this.session.state.view) ? this.session.state.view : 'arcs';
    this.panel = mountView(name, this.session, (section) => this.container.replaceChildren(section));
    this.mountedView = name;
  }

  applyAttributes() {
    const { state, notices } = this.attributeState();
    this.session.notices = notices;
    this.session.state = state;
    if (state.view !== this.mountedView) this.mountView();
    this.session.run();
  }

  showNotices() {
    this.noticeList.replaceChildren(...this.session.notices.map((text) => {
      const li = document.createElement('li');
      li.textContent = text;
      return li;
    }));
  }
}

if (!customElements.get('llm-attention')) customElements.define('llm-attention', LlmAttentionElement);
