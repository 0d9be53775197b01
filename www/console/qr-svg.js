// The recovery kit's QR code as an SVG element, from the vendored encoder (npm `qrcode`, bundled
// by `cargo xtask dist` into vendor/qrcode.js). Drawn with DOM calls: no markup, no inline style.
import { create } from '../vendor/qrcode.js';

const SVG = 'http://www.w3.org/2000/svg';
const QUIET = 4; // modules of white border the QR specification asks for

/** An <svg> of the QR code of `text` (error correction M). */
export function qrSvg(text, id) {
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  const size = modules.size + QUIET * 2;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('shape-rendering', 'crispEdges');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'QR code of the recovery kit');
  if (id) svg.setAttribute('id', id);
  const background = document.createElementNS(SVG, 'rect');
  for (const [k, v] of Object.entries({ width: size, height: size, fill: '#fff' })) background.setAttribute(k, String(v));
  svg.append(background);
  let d = '';
  for (let row = 0; row < modules.size; row += 1) {
    for (let col = 0; col < modules.size; col += 1) {
      if (modules.get(row, col)) d += `M${col + QUIET} ${row + QUIET}h1v1h-1z`;
    }
  }
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000');
  svg.append(path);
  return svg;
}
