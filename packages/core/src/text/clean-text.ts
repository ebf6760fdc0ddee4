import { cp1252C1, unescapeHtmlLikeFtfy, unescapeHtmlLikePython } from './html-entities';

/**
 * Characters Python's `str.isspace()` accepts (what OpenCLIP's `" ".join(text.split())`
 * collapses). JavaScript's `\s` differs: it lacks U+001C-U+001F and U+0085 and adds U+FEFF.
 */
export const PYTHON_WHITESPACE =
  '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const WHITESPACE_RUN = new RegExp(`[${PYTHON_WHITESPACE}]+`, 'g');
const C1_CONTROL = /[\x80-\x9f]/g;
const LIGATURES: Readonly<Record<string, string>> = {
  Ĳ: 'IJ',
  ĳ: 'ij',
  ŉ: 'ʼn',
  Ǳ: 'DZ',
  ǲ: 'Dz',
  ǳ: 'dz',
  Ǆ: 'DŽ',
  ǅ: 'Dž',
  ǆ: 'dž',
  Ǉ: 'LJ',
  ǈ: 'Lj',
  ǉ: 'lj',
  Ǌ: 'NJ',
  ǋ: 'Nj',
  ǌ: 'nj',
  ﬀ: 'ff',
  ﬁ: 'fi',
  ﬂ: 'fl',
  ﬃ: 'ffi',
  ﬄ: 'ffl',
  ﬅ: 'ſt',
  ﬆ: 'st',
};
const LIGATURE = new RegExp(`[${Object.keys(LIGATURES).join('')}]`, 'g');
const WIDE = /[\u3000\uff01-\uffef]/g;
const DOUBLE_QUOTE = /[\u201c-\u201f]/g;
const SINGLE_QUOTE = /[\u02bc\u2018-\u201b]/g;
const LINE_BREAK = /\r\n|[\r\u2028\u2029\x85]/g;
const LONE_SURROGATE = /[\ud800-\udfff]/gu;
// Python's \d inside ftfy's pattern is any decimal digit, hence \p{Nd}.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what ftfy strips
const TERMINAL_ESCAPE = /\x1b\[(?:\p{Nd}|;)*[a-zA-Z]/gu;
// biome-ignore lint/suspicious/noControlCharactersInRegex: ftfy's remove_control_chars set
const CONTROL_CHAR = /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g;

function halfWidth(c: string): string {
  if (c === '\u3000') return ' ';
  const n = c.normalize('NFKC');
  return n;
}

/** One pass of ftfy's fixes in its order, without `fix_encoding` (mojibake repair). */
function ftfyPass(text: string, decodeEntities: boolean): string {
  let t = decodeEntities ? unescapeHtmlLikeFtfy(text) : text;
  t = t.replace(C1_CONTROL, (c) => cp1252C1(c.charCodeAt(0)));
  t = t.replace(LIGATURE, (c) => LIGATURES[c]);
  t = t.replace(WIDE, halfWidth);
  t = t.replace(DOUBLE_QUOTE, '"').replace(SINGLE_QUOTE, "'");
  t = t.replace(LINE_BREAK, '\n');
  t = t.replace(LONE_SURROGATE, '\ufffd');
  t = t.replace(TERMINAL_ESCAPE, '');
  t = t.replace(CONTROL_CHAR, '');
  return t.normalize('NFC');
}

/**
 * The part of `ftfy.fix_text` that needs no statistics: HTML references (only while no `<`
 * has been seen, line by line as ftfy does), C1 controls read as Windows-1252, Latin
 * ligatures split, full/half-width forms folded, curly quotes straightened, line breaks,
 * lone surrogates, terminal escapes and stray control characters removed, NFC; repeated
 * until nothing changes. Left out: `fix_encoding`, ftfy's mojibake detection ("cafÃ©").
 */
export function fixTextLikeFtfy(text: string): string {
  let out = '';
  let decodeEntities = true;
  for (let pos = 0; pos < text.length; ) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl + 1;
    let segment = text.slice(pos, end);
    if (segment.includes('<')) decodeEntities = false;
    for (;;) {
      const fixed = ftfyPass(segment, decodeEntities);
      if (fixed === segment) break;
      segment = fixed;
    }
    out += segment;
    pos = end;
  }
  return out;
}

/**
 * OpenCLIP's default text cleaning (`clean='lower'`): ftfy (see {@link fixTextLikeFtfy}),
 * `html.unescape` twice, whitespace runs to one space, trimmed, lower-cased.
 */
export function cleanClipText(text: string): string {
  const fixed = unescapeHtmlLikePython(unescapeHtmlLikePython(fixTextLikeFtfy(text)));
  return fixed.replace(WHITESPACE_RUN, ' ').replace(/^ | $/g, '').toLowerCase();
}
