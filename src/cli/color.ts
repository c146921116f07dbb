import type { ClientEnv } from '../config.js';

export interface Palette {
  red(text: string): string;
  green(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

const paint = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

export const COLORS: Palette = { red: paint(31, 39), green: paint(32, 39), bold: paint(1, 22), dim: paint(2, 22) };
export const PLAIN: Palette = { red: (t) => t, green: (t) => t, bold: (t) => t, dim: (t) => t };

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function paletteFor(stream: unknown, env: Pick<ClientEnv, 'noColor'>): Palette {
  return !env.noColor && (stream as { isTTY?: boolean }).isTTY === true ? COLORS : PLAIN;
}
