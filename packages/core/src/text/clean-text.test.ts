// Expected strings from Python's html.unescape, ftfy 6.3.1 (fix_encoding off) and OpenCLIP's
// whitespace_clean, written by tools/fixtures/gen_tokenizer.py.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanClipText, fixTextLikeFtfy, PYTHON_WHITESPACE } from './clean-text';
import { unescapeHtmlLikeFtfy, unescapeHtmlLikePython } from './html-entities';

interface CleanCase {
  text: string;
  html: string;
  ftfyLite: string;
  clean: string;
}
interface EntityCase {
  text: string;
  html: string;
  ftfy: string;
}

// JSON.parse, not a JSON import: the fixture has a lone-surrogate escape Vite's loader refuses
const fixture = JSON.parse(readFileSync(join(__dirname, '../../test/fixtures/tokenizer.json'), 'utf8'));
const cases = fixture.clean as CleanCase[];
const entities = fixture.entities as EntityCase[];
const label = (s: string) => JSON.stringify(s).slice(0, 50);

describe('unescapeHtmlLikePython', () => {
  it.each(cases.map((c) => [label(c.text), c]))('html.unescape twice: %s', (_l, c) => {
    expect(unescapeHtmlLikePython(unescapeHtmlLikePython(c.text))).toBe(c.html);
  });

  it(`decodes all ${entities.length} entity spellings of its table like html.unescape`, () => {
    const wrong = entities.filter((e) => unescapeHtmlLikePython(e.text) !== e.html);
    expect(wrong).toEqual([]);
  });

  it('leaves HTML5-only names alone (the documented gap)', () => {
    expect(unescapeHtmlLikePython('&check; &amp;')).toBe('&check; &');
  });
});

describe('unescapeHtmlLikeFtfy', () => {
  it(`decodes all ${entities.length} entity spellings like ftfy.fixes.unescape_html`, () => {
    const wrong = entities.filter((e) => unescapeHtmlLikeFtfy(e.text) !== e.ftfy);
    expect(wrong).toEqual([]);
  });
});

describe('fixTextLikeFtfy', () => {
  it.each(cases.map((c) => [label(c.text), c]))('ftfy.fix_text(fix_encoding=False): %s', (_l, c) => {
    expect(fixTextLikeFtfy(c.text)).toBe(c.ftfyLite);
  });
});

describe('cleanClipText', () => {
  it.each(cases.map((c) => [label(c.text), c]))("OpenCLIP's clean='lower': %s", (_l, c) => {
    expect(cleanClipText(c.text)).toBe(c.clean);
  });

  it("collapses exactly Python's str.isspace() characters", () => {
    const ws = new RegExp(`^[${PYTHON_WHITESPACE}]$`);
    const ours: number[] = [];
    for (let c = 0; c < 0x10000; c++) if (ws.test(String.fromCharCode(c))) ours.push(c);
    expect(ours).toEqual(fixture.pythonWhitespace);
  });
});
