import { compactLocalPart, nameTokens, type Person } from './person.ts';

/**
 * The words people use when they introduce two people to each other. Strong cues are enough on
 * their own ("Jane, meet Bob", "connecting you two"); weak cues ("I've copied Pam, she can help
 * you") count only when the text also names one of the people on the message in the third person.
 * Every pattern is linear (no nested quantifiers) and runs on bounded text.
 */
export interface IntroCue {
  readonly strength: 'strong' | 'weak';
  readonly phrase: string;
}

const YOU_PAIR = String.raw`(?:you|y'all|you two|you both|both of you|the two of you|you guys|you all)`;
const NAME = String.raw`([\p{Lu}][\p{L}'’-]+(?:\s+[\p{Lu}][\p{L}'’-]+){0,2})`;

/**
 * A cue pattern and the words any match of it must contain, so the pattern (each one a scan of the
 * whole text) runs only on text that has them: most texts have the words of few patterns. The words
 * are lower-case; each group must have one of its words in the text (see `neededWordsIn`).
 *
 * The case-insensitive patterns are written in ASCII and run with the `i` flag alone on the text
 * as `caseFolded` gives it: that matches exactly what `iu` matches on the text itself, about ten
 * times faster (V8's `iu` matching of `\b` and letters is slow). A pattern that must count code
 * points (`.` or a negated class) keeps `iu` and runs on the text itself.
 */
interface Cue {
  readonly pattern: RegExp;
  readonly needs: readonly (readonly string[])[];
}

const STRONG_CUES: readonly Cue[] = [
  {
    pattern: new RegExp(String.raw`\b(?:introduc(?:e|ing)|intro'?ing|connect(?:ing)?|link(?:ing)?(?: up)?)\s+${YOU_PAIR}\b`, 'i'),
    needs: [['intro', 'connect', 'link'], ['you', "y'all"]],
  },
  {
    pattern: new RegExp(String.raw`\b(?:put(?:ting)?|get(?:ting)?|bring(?:ing)?)\s+${YOU_PAIR}\s+(?:in touch|in contact|together|connected)\b`, 'i'),
    needs: [['in touch', 'in contact', 'together', 'connected']],
  },
  {
    pattern: new RegExp(
      String.raw`\b(?:you two|you both|both of you|the two of you)\s+(?:should|must|need to|ought to|have to|will want to|would|might|could)\s+(?:really\s+)?(?:meet|connect|talk|chat|speak|get together|get to know|know each other|compare notes)\b`,
      'i',
    ),
    needs: [['you two', 'you both', 'both of you', 'the two of you']],
  },
  { pattern: /\b(?:know|meet|meeting|connect with|talk to|speak with|speaking with|benefit from knowing|get to know)\s+each other\b/i, needs: [['each other']] },
  {
    pattern: new RegExp(String.raw`\b(?:thought|think|figured|believe)\s+(?:that\s+)?${YOU_PAIR}\s+(?:should|would|might|could|'d|will)\b`, 'i'),
    needs: [['thought', 'think', 'figured', 'believe']],
  },
  { pattern: new RegExp(String.raw`\blet\s+${YOU_PAIR}\s+take it from here\b`, 'i'), needs: [['take it from here']] },
  { pattern: new RegExp(String.raw`\bleave it to\s+${YOU_PAIR}\b`, 'i'), needs: [['leave it to']] },
  { pattern: /\b(?:e-?mail|virtual|quick|warm|double[- ]opt[- ]in)\s+intro(?:duction)?\b/i, needs: [['intro'], ['mail', 'virtual', 'quick', 'warm', 'opt']] },
  { pattern: /\bintro(?:duction)?\s+between\b/i, needs: [['intro'], ['between']] },
  { pattern: /\bmaking (?:this|the|an|a quick) (?:intro|introduction|connection)\b/i, needs: [['making ']] },
  { pattern: /\bas promised\b[^.\n]{0,40}\b(?:intro|introduc|connect)/iu, needs: [['as promised']] },
];

/**
 * Strong cues that name the person introduced; they count only when that name is a party. These
 * are case-sensitive: `needs` is searched for in the text as it is.
 */
const NAMED_STRONG_CUES: readonly Cue[] = [
  { pattern: new RegExp(String.raw`(?:^|[\s,.;:!?(])meet\s+${NAME}`, 'gu'), needs: [['meet']] },
  { pattern: new RegExp(String.raw`(?:^|[\s,.;:!?(])Meet\s+${NAME}`, 'gu'), needs: [['Meet']] },
  {
    pattern: new RegExp(
      String.raw`\b(?:[Ii]ntroduc(?:e|ing)|[Ii]ntro'?ing)\s+(?:to you\s+|you to\s+)?(?:my (?:good |dear |old )?(?:friend|colleague|client|partner|contact)\s+)?${NAME}`,
      'gu',
    ),
    needs: [['ntro']],
  },
  { pattern: new RegExp(String.raw`\b[Cc]onnect(?:ing)?\s+${NAME}\s+(?:and|with|&)\s+${NAME}`, 'gu'), needs: [['onnect']] },
];

/** A word of every "cc'ing", "copied", "looping in"... phrase. */
const COPY_WORDS = ["cc'", 'ccing', 'cced', 'ccd', 'cc-ing', 'copying', 'copied', 'looping in', 'looped in', 'adding', 'added', 'including', 'included'];

const WEAK_CUES: readonly Cue[] = [
  {
    pattern: /\b(?:cc'?(?:ing|ed|'d|d)|cc-?ing|copying|copied|looping in|looped in|adding|added|including|included)\b/i,
    needs: [COPY_WORDS],
  },
  {
    pattern:
      /\b(?:can|could|will|would|should be able to|is able to|may be able to|might be able to)\s+(?:help|assist|advise|answer|respond to|get back to|reach out to|be a (?:great|good) resource)\b/i,
    needs: [['help', 'assist', 'advise', 'answer', 'respond to', 'get back to', 'reach out to', 'resource']],
  },
  {
    pattern: /\b(?:is|was|would be)\s+(?:the|a|an)\s+(?:right |best |perfect |ideal |great |good |excellent )?(?:person|resource|contact|source|fit|match)\b/i,
    needs: [['person', 'source', 'contact', 'fit', 'match']],
  },
  { pattern: /\bthe person (?:who|to|that)\b/i, needs: [['the person ']] },
  {
    pattern: /\b(?:suggest|recommend|encourage|advise)\s+(?:that\s+)?you\s+(?:call|contact|reach out|talk|speak|get in touch|connect|meet|email|e-mail|chat)\b/i,
    needs: [['suggest', 'recommend', 'encourage', 'advise']],
  },
  {
    pattern: /\b(?:reach out to|get in touch with|contact|call|talk (?:to|with)|speak (?:to|with)|follow up with|connect with|meet with|chat with)\s+(?:him|her|them)\b/i,
    needs: [['reach out to', 'get in touch with', 'contact', 'call', 'talk ', 'speak ', 'follow up with', 'connect with', 'meet with', 'chat with']],
  },
  { pattern: /\bbring\s+(?:the matter|this|it)\s+up\s+with\b/i, needs: [['bring']] },
  {
    pattern: /\byou (?:might|may|will|would) (?:want|like|wish) to (?:talk|speak|meet|connect|chat|get together|touch base)\b/i,
    needs: [['you might ', 'you may ', 'you will ', 'you would ']],
  },
  {
    pattern: /\b(?:he|she|they)\s+(?:will|'ll|can|would|is going to)\s+(?:respond|reply|reach out|follow up|be in touch|contact you|call you|get in touch|get back to you)/i,
    needs: [['respond', 'reply', 'reach out', 'follow up', 'be in touch', 'contact you', 'call you', 'get in touch', 'get back to you']],
  },
  { pattern: /\bI (?:told|mentioned to|have told|already told|let)\s+(?:him|her|them)\b/i, needs: [['i told', 'i mentioned to', 'i have told', 'i already told', 'i let']] },
  { pattern: /\bwho (?:I|we) (?:work|worked|have worked) with\b/i, needs: [['who i ', 'who we ']] },
  {
    pattern: /\b(?:a|my) (?:good |close |old |dear |trusted )?(?:friend|colleague|client|partner|contact|former colleague)(?: of mine)?\b/i,
    needs: [['friend', 'colleague', 'client', 'partner', 'contact']],
  },
];

function mayMatch(cue: Cue, has: (word: string) => boolean): boolean {
  return cue.needs.every((words) => words.some(has));
}

const ASSISTANT_ROLE = String.raw`(?:executive\s+|personal\s+|scheduling\s+|virtual\s+|admin(?:istrative)?\s+)?(?:assistant|EA|PA|secretary|scheduler|coordinator|office manager|chief of staff)`;
const COPY_VERB = String.raw`(?:cc'?(?:ing|ed|'d|d)|cc-?ing|ccing|bcc'?(?:ing|ed|'d)|copying|copied|looping in|looped in|adding|added|including|included)`;

/**
 * ", " or " " between a name and a role. One way to match each run of spaces: "\s*,?\s+" split a
 * long run every possible way before failing (quadratic; 30 ms for 11 KB of blank lines).
 */
const COMMA_OR_SPACE = String.raw`(?:\s*,\s*|\s+)`;

/**
 * Phrases that say a recipient is only copied (an assistant, or "for visibility"); capture group 1
 * is the name. Each has a cheap test that any match of it passes (words the phrase must contain,
 * and for the assistant phrases "my assistant" or the like), so the costlier pattern, one of which
 * starts at every capitalized word, runs only where it can match.
 */
const OWN_ASSISTANT = new RegExp(String.raw`\b(?:my|our)\s+${ASSISTANT_ROLE}`, 'i');
const COPIED_ONLY: readonly (Cue & { readonly needsOwnAssistant: boolean })[] = [
  { needsOwnAssistant: true, needs: [['my', 'our']], pattern: new RegExp(String.raw`\b(?:my|our)\s+${ASSISTANT_ROLE}${COMMA_OR_SPACE}${NAME}`, 'giu') },
  // Starts only where a run of name characters starts: from inside "Ab-Ab-Ab-..." every start re-read the whole run (quadratic).
  {
    needsOwnAssistant: true,
    needs: [['my', 'our']],
    pattern: new RegExp(String.raw`(?<![\p{L}\p{N}_'’-])${NAME}${COMMA_OR_SPACE}(?:my|our)\s+${ASSISTANT_ROLE}\b`, 'giu'),
  },
  {
    needsOwnAssistant: false,
    needs: [COPY_WORDS, ['for visibility', 'for awareness', 'for reference', 'record', 'for info', 'for scheduling', 'fyi', 'to keep', 'to stay', 'so he', 'so she', 'so they', 'to help']],
    pattern: new RegExp(
      String.raw`\b${COPY_VERB}\s+(?:in\s+)?${NAME}\s+(?:here\s+|on this\s+|on cc\s+|as well\s+)?(?:for (?:visibility|awareness|reference|(?:your|his|her|their|the) records?|info(?:rmation)?|scheduling)|fyi|to (?:keep|stay) (?:him|her|them)?\s*(?:in the loop|posted|informed)|so (?:he|she|they) (?:is|are|'s|stays?) (?:in the loop|aware|informed)|to help (?:us\s+)?(?:find a time|schedule|coordinate))`,
      'giu',
    ),
  },
  { needsOwnAssistant: false, needs: [['bcc'], ['mov']], pattern: new RegExp(String.raw`\b(?:moving|moved|move)\s+${NAME}\s+to\s+bcc\b`, 'giu') },
];

/** Every word a case-insensitive cue needs, longest first. */
const NEEDED_WORDS = [...new Set([...STRONG_CUES, ...WEAK_CUES, ...COPIED_ONLY].flatMap((cue) => cue.needs.flat()))].sort((a, b) => b.length - a.length);
/**
 * The longest needed word at the first position that has one. After each match the search goes on
 * from the next position, not after the word, so every position is tried; a shorter word found at
 * the same position is a start of the longer one.
 */
const NEEDED_WORD = new RegExp(NEEDED_WORDS.map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, String.raw`\$&`)).join('|'), 'g');
const NEEDED_WORDS_STARTING = new Map(NEEDED_WORDS.map((word) => [word, NEEDED_WORDS.filter((other) => word.startsWith(other))]));

/** The two characters that `iu` matching folds to ASCII letters: the long s and the Kelvin sign. */
const FOLDS_TO_ASCII = /[\u017f\u212a]/g;

/** A text as the case-insensitive cues read it; its cues and copied-only phrases are looked for one after the other. */
interface CueText {
  readonly text: string;
  /**
   * The text with "ſ" as "s" and the Kelvin sign as "k", the only characters `iu` matching folds
   * to ASCII letters (and so to word characters for `\b`); the same length, so a match's
   * position is the same in both.
   */
  readonly folded: string;
  /** The needed words it holds: any text a case-insensitive cue matches holds the words the cue needs. */
  readonly found: ReadonlySet<string>;
}

/** The needed words are found in one pass over the lower-cased text rather than one search per word. */
function cueTextOf(text: string): CueText {
  if (lastCueText?.text === text) return lastCueText;
  const folded = text.replace(FOLDS_TO_ASCII, (character) => (character === '\u017f' ? 's' : 'k'));
  const lower = folded.toLowerCase();
  const found = new Set<string>();
  NEEDED_WORD.lastIndex = 0;
  for (let match = NEEDED_WORD.exec(lower); match; match = NEEDED_WORD.exec(lower)) {
    for (const word of NEEDED_WORDS_STARTING.get(match[0]) ?? []) found.add(word);
    NEEDED_WORD.lastIndex = match.index + 1;
  }
  lastCueText = { text, folded, found };
  return lastCueText;
}
let lastCueText: CueText | null = null;

/** What a case-insensitive cue's first match says, as the text writes it. */
function firstMatch(pattern: RegExp, cueText: CueText): string | null {
  if (pattern.unicode) return pattern.exec(cueText.text)?.[0] ?? null;
  const match = pattern.exec(cueText.folded);
  return match ? cueText.text.slice(match.index, match.index + match[0].length) : null;
}

export function findIntroCues(text: string, subject: string, parties: readonly Person[]): IntroCue[] {
  const cues: IntroCue[] = [];
  const cueText = cueTextOf(text);
  const has = (word: string): boolean => cueText.found.has(word);
  for (const cue of STRONG_CUES) {
    const phrase = mayMatch(cue, has) ? firstMatch(cue.pattern, cueText) : null;
    if (phrase !== null) cues.push({ strength: 'strong', phrase: phrase.trim() });
  }
  // A named cue counts only for a party's name: with no parties none can.
  for (const cue of parties.length > 0 ? NAMED_STRONG_CUES : []) {
    if (!mayMatch(cue, (word) => text.includes(word))) continue;
    for (const match of text.matchAll(cue.pattern)) {
      const names = match.slice(1).filter((name): name is string => Boolean(name));
      if (names.length > 0 && names.every((name) => partiesNamed(name, parties).length > 0)) {
        cues.push({ strength: 'strong', phrase: match[0].trim() });
        break;
      }
    }
  }
  const subjectCue = subjectIntroCue(subject, parties);
  if (subjectCue) cues.push(subjectCue);
  for (const cue of WEAK_CUES) {
    const phrase = mayMatch(cue, has) ? firstMatch(cue.pattern, cueText) : null;
    if (phrase !== null) cues.push({ strength: 'weak', phrase: phrase.trim() });
  }
  return cues;
}

/** "Intro: Jane <> Bob", "Jane / Bob introduction", "Connecting Jane and Bob" — with a party's name in it. */
function subjectIntroCue(subject: string, parties: readonly Person[]): IntroCue | null {
  const topic = subject.replace(/^\s*((re|fwd?|aw|wg|tr|sv)\s*:\s*)+/i, '');
  const hasIntroWord = /\b(intro|introduction|introducing|connecting|meet)\b|<>|<->|↔/i.test(topic);
  if (!hasIntroWord) return null;
  const named = [...topic.matchAll(/[\p{L}][\p{L}'’-]+/gu)].filter((word) => /^\p{Lu}/u.test(word[0]) && partiesNamed(word[0], parties).length > 0);
  return named.length > 0 ? { strength: 'strong', phrase: `subject "${topic.trim().slice(0, 80)}"` } : null;
}

/** People the text says are only copied: "cc'ing my assistant Pat", "copying Dana for visibility". */
export function copiedOnlyPeople(text: string, parties: readonly Person[]): Person[] {
  // Only a party's name counts: with no parties there is no one to find.
  if (parties.length === 0) return [];
  const copied = new Set<Person>();
  const cueText = cueTextOf(text);
  let namesOwnAssistant: boolean | undefined;
  for (const cue of COPIED_ONLY) {
    if (!mayMatch(cue, (word) => cueText.found.has(word))) continue;
    if (cue.needsOwnAssistant && !(namesOwnAssistant ??= firstMatch(OWN_ASSISTANT, cueText) !== null)) continue;
    for (const match of text.matchAll(cue.pattern)) {
      const name = leadingCapitalizedWords(match[1] ?? '');
      if (!name) continue;
      for (const person of partiesNamed(name, parties)) copied.add(person);
    }
  }
  return [...copied];
}

/** The case-insensitive patterns capture a few words; keep only the capitalized ones that start it. */
function leadingCapitalizedWords(text: string): string {
  const words: string[] = [];
  for (const word of text.split(/\s+/)) {
    if (!/^\p{Lu}/u.test(word)) break;
    words.push(word);
  }
  return words.join(' ');
}

const PLAIN_WORD = /^[a-z-]*$/;

const COMMON_WORDS = new Set(['info', 'sales', 'team', 'contact', 'hello', 'admin', 'office', 'support', 'mail', 'the', 'and', 'you', 'thanks', 'dear']);

/** The parties a name ("Pam LaRue", "Misha", "Grable") refers to. */
export function partiesNamed(name: string, parties: readonly Person[]): Person[] {
  const lower = name.toLowerCase();
  // Most names are one plain word (every capitalized word of a body is asked about): nothing to split or strip.
  const words = (PLAIN_WORD.test(lower) ? [lower] : lower.split(/[\s'’]+/).map((word) => word.replace(/[^\p{L}-]/gu, ''))).filter(
    (word) => word.length >= 3 && !COMMON_WORDS.has(word),
  );
  if (words.length === 0) return [];
  return parties.filter((person) => {
    const { tokens, compact } = namingOf(person);
    if (words.some((word) => tokens.has(word))) return true;
    return compact !== null && words.some((word) => word.length >= 4 && looksLikeInitialPlusSurname(compact, word));
  });
}

/**
 * How a person can be named, worked out once per person: the text of a message is matched
 * word by word against every party, so recomputing it per word was most of the capture's own time.
 */
const namings = new WeakMap<Person, { readonly tokens: ReadonlySet<string>; readonly compact: string | null }>();

function namingOf(person: Person): { readonly tokens: ReadonlySet<string>; readonly compact: string | null } {
  let naming = namings.get(person);
  if (!naming) {
    naming = { tokens: new Set(nameTokens(person).filter((token) => !COMMON_WORDS.has(token))), compact: compactLocalPart(person) };
    namings.set(person, naming);
  }
  return naming;
}

function looksLikeInitialPlusSurname(localPart: string, word: string): boolean {
  return (
    (localPart.endsWith(word) && localPart.length - word.length <= 2) ||
    (localPart.startsWith(word) && localPart.length - word.length <= 2)
  );
}

/**
 * Parties named in the text other than in its greeting ("Hi Jeff:", "Connie;") — the people the
 * writer talks about rather than to.
 */
export function partiesMentioned(text: string, parties: readonly Person[]): Person[] {
  if (parties.length === 0) return [];
  const body = text.slice(greetingLength(text));
  const mentioned = new Set<Person>();
  // A text repeats its names ("Michael" ten times): each word is matched against the parties once.
  const seen = new Set<string>();
  for (const match of body.matchAll(/[\p{Lu}][\p{L}'’-]+/gu)) {
    if (seen.has(match[0])) continue;
    seen.add(match[0]);
    for (const person of partiesNamed(match[0], parties)) mentioned.add(person);
  }
  return [...mentioned];
}

// Each name word must be followed by a separator before the next one, so the match is linear.
const NAME_WORD = String.raw`[\p{Lu}][\p{L}'’.-]*`;
const GREETING = new RegExp(
  String.raw`^\s*(?:(?:[Hh]i|[Hh]ello|[Hh]ey|[Dd]ear|[Gg]ood (?:[Mm]orning|[Aa]fternoon|[Ee]vening)|[Gg]reetings|[Hh]owdy)\b[\s,]*)?(?:${NAME_WORD}(?:(?:\s+|\s*(?:,|&|and)\s*)${NAME_WORD}){0,5})?\s*(?:[,;:!\n]|\s-\s|\s—\s)`,
  'u',
);

function greetingLength(text: string): number {
  const match = GREETING.exec(text.slice(0, 120));
  return match ? match[0].length : 0;
}
