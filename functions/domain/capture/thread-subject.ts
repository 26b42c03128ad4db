const PREFIXES = /^\s*(?:\[[^\]]{0,40}\]\s*)?(?:re|fw|fwd|aw|wg|sv|tr|rv|antw|vs|enc|odp|ynt|rif|res|ref)\s*(?:\[\d+\])?\s*:\s*/i;

/**
 * The subject a thread keeps through replies and forwards: prefixes removed, case and spacing
 * folded. Used to find the introduction a reply belongs to when its mail client dropped the
 * In-Reply-To and References headers. Null when nothing distinctive is left.
 */
export function threadSubjectKey(subject: string): string | null {
  let topic = subject;
  for (let round = 0; round < 10 && PREFIXES.test(topic); round += 1) topic = topic.replace(PREFIXES, '');
  const key = topic.toLowerCase().replace(/\s+/g, ' ').trim();
  return key.length >= 4 ? key.slice(0, 200) : null;
}
