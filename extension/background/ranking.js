// Merging the sign-in rankings of several vaults (the personal vault and the team vaults). The
// core ranks one vault at a time (`rankSignIn`); this applies the core's own decision rule
// (`Ranking::decision_remembering`, crate/core/src/matching.rs) to the union. Pure, so Node tests
// pin it.

const QUALITY_ORDER = ['exact', 'account', 'principal', 'possible'];
/** The core's confident qualities (`MatchQuality::is_confident`): enough to fill without asking. */
const CONFIDENT = new Set(['exact', 'account']);

/**
 * Ranks every open vault's entries (`rankSignIn` per vault) and merges the rankings the way the
 * core decides within one: best quality first (equal qualities keep the vault order: personal
 * first); a remembered choice that is still a candidate is filled; else the best is filled when
 * it is confident and strictly better than the next. `{candidates: [{id, quality, ref}], fill,
 * accountKey}`.
 */
export function mergeRankings(rankings, remembered) {
  const candidates = rankings
    .flatMap(({ ref, ranking }) => ranking.candidates.map((c) => ({ ...c, ref })))
    .map((c, order) => ({ c, order }))
    .sort((a, b) => QUALITY_ORDER.indexOf(a.c.quality) - QUALITY_ORDER.indexOf(b.c.quality) || a.order - b.order)
    .map(({ c }) => c);
  const accountKey = rankings[0]?.ranking.accountKey ?? null;
  let fill = null;
  if (remembered && candidates.some((c) => c.id === remembered)) fill = remembered;
  else {
    const [best, next] = candidates;
    if (best && CONFIDENT.has(best.quality) && (!next || QUALITY_ORDER.indexOf(next.quality) > QUALITY_ORDER.indexOf(best.quality))) {
      fill = best.id;
    }
  }
  return { candidates, fill, accountKey };
}

