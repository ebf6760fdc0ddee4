/**
 * HTML character references as Python's `html.unescape` decodes them (OpenCLIP runs it twice
 * on every prompt) and as ftfy's stricter `unescape_html` does. The named-entity table is
 * the HTML 4.01 set (Python's `html.entities.name2codepoint`) plus `&apos;` and `&TRADE;`:
 * 260 of HTML5's 2125 names, covering what prompts realistically contain. Every name HTML5 also
 * accepts without a semicolon (`&amp`, `&eacute`, ...) is in it, so the prefix rule
 * (`&ampfoo` -> `&foo`) matches Python exactly; a HTML5-only name (`&check;`) stays as
 * written here where Python would decode it.
 */

/**
 * `name[+][^]=hex`: `+` also valid without the semicolon (HTML5 legacy names), `^` ftfy also
 * decodes the all-caps spelling (`&EACUTE;` -> upper-case of the character). Written from
 * Python's html.entities.html5.
 */
const ENTITY_TABLE =
  'Aacute+=c1 aacute+^=e1 Acirc+=c2 acirc+^=e2 acute+^=b4 AElig+=c6 aelig+^=e6 Agrave+=c0 ' +
  'agrave+^=e0 alefsym^=2135 Alpha=391 alpha^=3b1 AMP+=26 amp+=26 and^=2227 ang^=2220 apos^=27 ' +
  'Aring+=c5 aring+^=e5 asymp^=2248 Atilde+=c3 atilde+^=e3 Auml+=c4 auml+^=e4 bdquo^=201e Beta=392 ' +
  'beta^=3b2 brvbar+^=a6 bull^=2022 cap^=2229 Ccedil+=c7 ccedil+^=e7 cedil+^=b8 cent+^=a2 Chi=3a7 ' +
  'chi^=3c7 circ^=2c6 clubs^=2663 cong^=2245 COPY+=a9 copy+=a9 crarr^=21b5 cup^=222a curren+^=a4 ' +
  'Dagger=2021 dagger^=2020 dArr=21d3 darr^=2193 deg+^=b0 Delta=394 delta^=3b4 diams^=2666 ' +
  'divide+^=f7 Eacute+=c9 eacute+^=e9 Ecirc+=ca ecirc+^=ea Egrave+=c8 egrave+^=e8 empty^=2205 ' +
  'emsp^=2003 ensp^=2002 Epsilon=395 epsilon^=3b5 equiv^=2261 Eta=397 eta^=3b7 ETH+=d0 eth+=f0 ' +
  'Euml+=cb euml+^=eb euro^=20ac exist^=2203 fnof^=192 forall^=2200 frac12+^=bd frac14+^=bc ' +
  'frac34+^=be frasl^=2044 Gamma=393 gamma^=3b3 ge^=2265 GT+=3e gt+=3e hArr=21d4 harr^=2194 ' +
  'hearts^=2665 hellip^=2026 Iacute+=cd iacute+^=ed Icirc+=ce icirc+^=ee iexcl+^=a1 Igrave+=cc ' +
  'igrave+^=ec image^=2111 infin^=221e int^=222b Iota=399 iota^=3b9 iquest+^=bf isin^=2208 Iuml+=cf ' +
  'iuml+^=ef Kappa=39a kappa^=3ba Lambda=39b lambda^=3bb lang^=27e8 laquo+^=ab lArr=21d0 larr^=2190 ' +
  'lceil^=2308 ldquo^=201c le^=2264 lfloor^=230a lowast^=2217 loz^=25ca lrm^=200e lsaquo^=2039 ' +
  'lsquo^=2018 LT+=3c lt+=3c macr+^=af mdash^=2014 micro+^=b5 middot+^=b7 minus^=2212 Mu=39c ' +
  'mu^=3bc nabla^=2207 nbsp+^=a0 ndash^=2013 ne^=2260 ni^=220b not+^=ac notin^=2209 nsub^=2284 ' +
  'Ntilde+=d1 ntilde+^=f1 Nu=39d nu^=3bd Oacute+=d3 oacute+^=f3 Ocirc+=d4 ocirc+^=f4 OElig=152 ' +
  'oelig^=153 Ograve+=d2 ograve+^=f2 oline^=203e Omega=3a9 omega^=3c9 Omicron=39f omicron^=3bf ' +
  'oplus^=2295 or^=2228 ordf+^=aa ordm+^=ba Oslash+=d8 oslash+^=f8 Otilde+=d5 otilde+^=f5 ' +
  'otimes^=2297 Ouml+=d6 ouml+^=f6 para+^=b6 part^=2202 permil^=2030 perp^=22a5 Phi=3a6 phi^=3c6 ' +
  'Pi=3a0 pi^=3c0 piv^=3d6 plusmn+^=b1 pound+^=a3 Prime=2033 prime^=2032 prod^=220f prop^=221d ' +
  'Psi=3a8 psi^=3c8 QUOT+=22 quot+=22 radic^=221a rang^=27e9 raquo+^=bb rArr=21d2 rarr^=2192 ' +
  'rceil^=2309 rdquo^=201d real^=211c REG+=ae reg+=ae rfloor^=230b Rho=3a1 rho^=3c1 rlm^=200f ' +
  'rsaquo^=203a rsquo^=2019 sbquo^=201a Scaron=160 scaron^=161 sdot^=22c5 sect+^=a7 shy+^=ad ' +
  'Sigma=3a3 sigma^=3c3 sigmaf^=3c2 sim^=223c spades^=2660 sub^=2282 sube^=2286 sum^=2211 sup^=2283 ' +
  'sup1+^=b9 sup2+^=b2 sup3+^=b3 supe^=2287 szlig+^=df Tau=3a4 tau^=3c4 there4^=2234 Theta=398 ' +
  'theta^=3b8 thetasym^=3d1 thinsp^=2009 THORN+=de thorn+=fe tilde^=2dc times+^=d7 trade=2122 TRADE=2122 ' +
  'Uacute+=da uacute+^=fa uArr=21d1 uarr^=2191 Ucirc+=db ucirc+^=fb Ugrave+=d9 ugrave+^=f9 uml+^=a8 ' +
  'upsih^=3d2 Upsilon=3a5 upsilon^=3c5 Uuml+=dc uuml+^=fc weierp^=2118 Xi=39e xi^=3be Yacute+=dd ' +
  'yacute+^=fd yen+^=a5 Yuml=178 yuml+^=ff Zeta=396 zeta^=3b6 zwj^=200d zwnj^=200c';

interface EntityTables {
  /** `name;` and legacy `name` -> character, as `html.unescape` looks them up. */
  readonly python: Map<string, string>;
  /** `&name;` (and all-caps variants) -> character, as ftfy looks them up. */
  readonly ftfy: Map<string, string>;
}

let tables: EntityTables | undefined;

function entityTables(): EntityTables {
  if (tables) return tables;
  const python = new Map<string, string>();
  const ftfy = new Map<string, string>();
  for (const entry of ENTITY_TABLE.split(' ')) {
    const [key, hex] = entry.split('=');
    const name = key.replace(/[+^]/g, '');
    const char = String.fromCodePoint(Number.parseInt(hex, 16));
    python.set(`${name};`, char);
    ftfy.set(`&${name};`, char);
    if (key.includes('+')) python.set(name, char);
    if (key.includes('^')) ftfy.set(`&${name.toUpperCase()};`, char.toUpperCase());
  }
  tables = { python, ftfy };
  return tables;
}

/**
 * Windows-1252 for 0x80-0x9f, undefined bytes kept as the C1 control (the "sloppy" codec ftfy
 * uses; HTML5's numeric-reference table is the same).
 */
const CP1252_C1 = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

/** The C1 control character c (0x80-0x9f) read as Windows-1252. */
export function cp1252C1(c: number): string {
  return String.fromCodePoint(CP1252_C1[c - 0x80]);
}

/** Code points HTML5 maps numeric references of to nothing (Python's `_invalid_codepoints`). */
function droppedCodePoint(n: number): boolean {
  return (
    (n >= 0x1 && n <= 0x8) ||
    n === 0xb ||
    (n >= 0xe && n <= 0x1f) ||
    (n >= 0x7f && n <= 0x9f) ||
    (n >= 0xfdd0 && n <= 0xfdef) ||
    (n & 0xfffe) === 0xfffe
  );
}

function numericReference(ref: string): string {
  const hex = ref[1] === 'x' || ref[1] === 'X';
  const digits = ref.slice(hex ? 2 : 1).replace(/;$/, '');
  const n = Number.parseInt(digits, hex ? 16 : 10);
  if (n === 0) return '\ufffd';
  if (n === 0x0d) return '\r';
  if (n >= 0x80 && n <= 0x9f) return cp1252C1(n);
  if ((n >= 0xd800 && n <= 0xdfff) || n > 0x10ffff) return '\ufffd';
  if (droppedCodePoint(n)) return '';
  return String.fromCodePoint(n);
}

const PYTHON_REFERENCE = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu;

/**
 * Python's `html.unescape`: numeric references with HTML5's replacements, named references
 * with or without the semicolon (legacy names only), longest known prefix first.
 */
export function unescapeHtmlLikePython(text: string): string {
  if (!text.includes('&')) return text;
  const { python } = entityTables();
  return text.replace(PYTHON_REFERENCE, (_match, ref: string) => {
    if (ref[0] === '#') return numericReference(ref);
    const whole = python.get(ref);
    if (whole !== undefined) return whole;
    for (let x = ref.length - 1; x > 1; x--) {
      const prefix = python.get(ref.slice(0, x));
      if (prefix !== undefined) return prefix + ref.slice(x);
    }
    return `&${ref}`;
  });
}

const FTFY_REFERENCE = /&#?[0-9A-Za-z]{1,24};/g;

/** ftfy's `unescape_html`: only references closed by a semicolon, plus all-caps Latin names. */
export function unescapeHtmlLikeFtfy(text: string): string {
  const { ftfy } = entityTables();
  return text.replace(FTFY_REFERENCE, (ref) => {
    const char = ftfy.get(ref);
    if (char !== undefined) return char;
    if (!ref.startsWith('&#')) return ref;
    const decoded = unescapeHtmlLikePython(ref);
    return decoded.includes(';') ? ref : decoded;
  });
}
