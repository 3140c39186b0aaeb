// The panel of each view, by name, and the views' short titles.
import { mountTokens } from './tokens.js';
import { mountArcs } from './arcs.js';
import { mountHeatmap } from './heatmap.js';
import { mountGrid } from './grid.js';
import { mountQkv } from './qkv.js';
import { mountMultihead } from './multihead.js';
import { mountScaling } from './scaling.js';
import { mountPredictions } from './predictions.js';

export const VIEW_TITLES = {
  tokens: 'Tokens', arcs: 'Arcs', heatmap: 'Heatmap', grid: 'All heads', qkv: 'Q · K · V',
  multihead: 'Multi-head', scaling: '√dₖ lab', predictions: 'Next token',
};

const MOUNTS = {
  tokens: mountTokens, arcs: mountArcs, heatmap: mountHeatmap, grid: mountGrid, qkv: mountQkv,
  multihead: mountMultihead, scaling: mountScaling, predictions: mountPredictions,
};

// Mounts view `name`'s panel on its section; returns { render }.
export function mountPanel(name, section, session) { return MOUNTS[name](section, session); }
