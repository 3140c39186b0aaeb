// The painting worker started from its source, bundled here as a string by
// ./build.sh dist (build/engine/llmsim-paint.js, from host.js). Only the page's entry
// points import this file (app.js, component.js); see painter.js for why.
import PAINT_SOURCE from '../../../build/engine/llmsim-paint.js' with { type: 'text' };
import { startPainter } from './painter.js';

export function startPainting() { return startPainter(PAINT_SOURCE); }
