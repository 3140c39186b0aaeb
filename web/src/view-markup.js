// The markup of each view: its controls, canvas, read-out, text alternative and
// guide. Static, trusted strings (no user text ever goes in here); the page and the
// embeddable <llm-attention> element both build their views from them, so a view
// looks and behaves the same wherever it is shown.
export const VIEW_MARKUP = {
  tokens: `
  <div class="view-main">
    <div id="token-chips" class="tokens large" aria-label="Tokens; press a token to select it"></div>
  </div>
  <aside class="guide">
    <h2>Tokens</h2>
    <p>A model never sees letters. A tokenizer cuts the text into pieces it learned from its
      training text — common words whole, rare ones in fragments — and each piece becomes a
      number, its id. The first token, <code>&lt;bos&gt;</code>, marks the beginning.</p>
    <p>Press a token to follow it through every other view. The arrow keys move the selection.</p>
  </aside>
`,
  arcs: `
  <div class="view-main">
    <div class="view-controls">
      <fieldset class="head-picks"><legend>Overlay heads</legend><span id="arcs-heads"></span></fieldset>
      <label>hide weights below <input type="range" id="threshold" min="0" max="0.5" step="0.01" value="0.02"> <output id="threshold-value">0.02</output></label>
    </div>
    <div class="scroll arcs-scroll"><div class="arcs-row"><canvas id="arcs-canvas" tabindex="0" role="img" aria-label="Attention arcs between tokens" aria-describedby="arcs-table"></canvas></div></div>
    <output id="arcs-readout" class="readout" aria-live="polite"></output>
    <details class="alt"><summary>As a table</summary><table id="arcs-table"></table></details>
  </div>
  <aside class="guide">
    <h2>Who looks at whom</h2>
    <p>Each token asks a question — its <em>query</em> — and every token it can see answers with a
      <em>key</em>. An arc runs from the asking token to each token it draws from; the thicker the
      arc, the more that token's value counts.</p>
    <p>Arrows point back in time: under the causal mask a token can only look at itself and
      what came before. Hover or select a token to see only its arcs; tick more heads to compare them.</p>
  </aside>
`,
  heatmap: `
  <div class="view-main">
    <div class="view-controls">
      <button type="button" id="zoom-in" aria-label="Zoom in">+</button>
      <button type="button" id="zoom-out" aria-label="Zoom out">−</button>
      <button type="button" id="zoom-fit">Fit</button>
      <span class="hint">drag to pan · arrow keys move the cell</span>
    </div>
    <canvas id="heatmap-canvas" tabindex="0" role="img" aria-label="Attention weights, query by key" aria-describedby="heatmap-table"></canvas>
    <output id="readout" class="readout" aria-live="polite"></output>
    <details class="alt"><summary>As a table</summary><table id="heatmap-table"></table></details>
  </div>
  <aside class="guide">
    <h2>The attention matrix</h2>
    <p>Row <i>i</i> is token <i>i</i> asking; column <i>j</i> is token <i>j</i> answering; the colour
      is how much of <i>j</i>'s value flows into <i>i</i>. Each row is a softmax, so it sums to 1.</p>
    <p>Hatched cells lie in the future: the causal mask hides them. Hover a cell for its raw score,
      its scaled score and its weight.</p>
  </aside>
`,
  grid: `
  <div class="view-main">
    <p id="grid-summary" class="grid-summary" aria-live="polite"></p>
    <table id="grid-next" class="grid-next" hidden></table>
    <div id="grid" class="grid"></div>
  </div>
  <aside class="guide">
    <h2>Every head at once</h2>
    <p>Each square is one head's attention pattern on your text, labelled by what the simulator
      measured it doing: looking at the previous token, parking attention on the first token,
      completing a repeated pattern (induction), following grammar or meaning — or nothing much.</p>
    <p>Switch a head off and the model runs without it: see how much the loss and the
      predictions change. Many heads can go with little effect — redundancy.</p>
  </aside>
`,
  qkv: `
  <div class="view-main">
    <div class="view-controls">
      <button type="button" id="qkv-back">← Back</button>
      <span id="qkv-step" class="step" aria-live="polite"></span>
      <button type="button" id="qkv-next">Next →</button>
    </div>
    <p id="qkv-explain" class="explain"></p>
    <canvas id="qkv-canvas" role="img" aria-label="Query, keys, scores, softmax and values for the selected token" aria-describedby="qkv-table"></canvas>
    <details class="alt"><summary>As a table</summary><table id="qkv-table"></table></details>
  </div>
  <aside class="guide">
    <h2>A soft dictionary lookup</h2>
    <p>A dictionary finds the one key equal to your query and returns its value. Attention
      compares the query with <em>every</em> key, turns the match scores into weights, and returns
      a blend of all the values.</p>
    <p>Step through it for the selected token: query, keys, dot products, the division by √dₖ,
      the softmax and the weighted sum.</p>
  </aside>
`,
  multihead: `
  <div class="view-main">
    <canvas id="multihead-canvas" role="img" aria-label="Head outputs, their concatenation and the output projection"></canvas>
  </div>
  <aside class="guide">
    <h2>Many heads, one output</h2>
    <p>A layer runs several heads side by side, each with its own W<sub>Q</sub>, W<sub>K</sub>,
      W<sub>V</sub> and its own small dₖ, so each can look for something different.</p>
    <p>Their outputs are laid next to each other (concatenated) and multiplied by W<sub>O</sub>,
      which mixes them back into one vector of size d<sub>model</sub> per token. The outlined row is the
      selected token.</p>
  </aside>
`,
  scaling: `
  <div class="view-main">
    <div class="view-controls">
      <label>dₖ <input type="range" id="dk" min="0" max="10" step="1" value="6"> <output id="dk-value">64</output></label>
      <label class="check"><input type="checkbox" id="lab-scale" checked> divide by √dₖ</label>
    </div>
    <p id="scaling-numbers" class="explain" aria-live="polite"></p>
    <canvas id="scaling-canvas" role="img" aria-label="Measurements against d_k, with and without scaling" aria-describedby="scaling-table"></canvas>
    <ul id="scaling-captions" class="captions"></ul>
    <details class="alt"><summary>As a table</summary><table id="scaling-table"></table></details>
  </div>
  <aside class="guide">
    <h2>Why divide by √dₖ?</h2>
    <p>A dot product of two random vectors with dₖ unit-variance entries has variance dₖ. As dₖ grows
      the scores spread out, the softmax puts almost all weight on one key, and its gradient
      vanishes. Dividing by √dₖ brings the variance back to 1.</p>
    <p>These curves are measured live in C++ on random queries and keys: <span class="swatch unscaled"></span>
      without scaling, <span class="swatch scaled"></span> with it.</p>
  </aside>
`,
  predictions: `
  <div class="view-main">
    <div class="view-controls">
      <label>temperature <input type="range" id="temperature" min="0.05" max="3" step="0.05" value="1"> <output id="temperature-value">1.00</output></label>
      <button type="button" id="append-top">Append the top token</button>
    </div>
    <p id="predictions-note" class="explain"></p>
    <canvas id="predictions-canvas" role="img" aria-label="Next-token probabilities" aria-describedby="predictions-table"></canvas>
    <details class="alt"><summary>As a table</summary><table id="predictions-table"></table></details>
  </div>
  <aside class="guide">
    <h2>What comes next</h2>
    <p>After the last layer, the model scores every token in its vocabulary as the next one;
      a softmax turns the scores into probabilities. Temperature divides the scores first:
      low makes the model sure of itself, high makes it adventurous.</p>
    <p>Append the top token and the whole computation runs again — that is how text is generated,
      one token at a time.</p>
  </aside>
`,
};

// A view's <section>, ready to be mounted by its panel.
export function createViewSection(name) {
  const section = document.createElement('section');
  section.className = 'panel view';
  section.dataset.view = name;
  section.id = `view-${name}`;
  section.setAttribute('role', 'tabpanel');
  section.innerHTML = VIEW_MARKUP[name];  // constant markup, see above
  return section;
}
