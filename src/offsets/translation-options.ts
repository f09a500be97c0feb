/**
 * The translation choices shared by `translateOffsets` requests and the failover consumer's
 * config: which translators exist, their default, and the missing-checkpoint policies. One
 * definition, so the two never accept different things.
 *
 * @module
 */
import { expectList, expectOneOf, invalid } from '../util/validate.js'
import type { MissingCheckpointPolicy, TranslatorName } from './translation-types.js'

/** Every translator, in documentation order. */
export const TRANSLATOR_NAMES: readonly TranslatorName[] = ['timestamp', 'mm2', 'identity']

/**
 * Translators used when none are configured: both are right for MirrorMaker 2; `identity` is
 * only for replicators that preserve offsets.
 */
export const DEFAULT_TRANSLATORS: readonly TranslatorName[] = ['timestamp', 'mm2']

/** Every missing-checkpoint policy. */
export const MISSING_CHECKPOINT_POLICIES: readonly MissingCheckpointPolicy[] = ['earliest', 'latest', 'error']

/** Missing-checkpoint policy used when none is configured: re-read rather than skip. */
export const DEFAULT_MISSING_CHECKPOINT_POLICY: MissingCheckpointPolicy = 'earliest'

/**
 * Asserts a non-empty list of translator names without repeats (a repeat is a typo for another
 * translator more often than not); `undefined` returns a copy of {@link DEFAULT_TRANSLATORS}.
 *
 * @param path - the option's path, e.g. `consumer.translators`; elements are named `path[i]`
 * @throws `InvalidOptionError` naming the list or the bad element
 */
export function expectTranslators(value: unknown, path: string): TranslatorName[] {
  if (value === undefined) return [...DEFAULT_TRANSLATORS]
  const list = expectList(value, path, 'translator names', { nonEmpty: true })
  const translators = list.map((t, i) => {
    // expectOneOf takes undefined for "use the fallback"; inside a list it is just wrong.
    if (t === undefined) invalid(`${path}[${i}]`, `one of ${TRANSLATOR_NAMES.map((n) => `'${n}'`).join(', ')}`, t)
    return expectOneOf(t, `${path}[${i}]`, TRANSLATOR_NAMES, 'timestamp')
  })
  const repeated = translators.find((t, i) => translators.indexOf(t) !== i)
  if (repeated !== undefined) invalid(path, 'a list without repeats', value, `'${repeated}' appears more than once`)
  return translators
}

/**
 * Asserts one of {@link MISSING_CHECKPOINT_POLICIES}; `undefined` returns
 * {@link DEFAULT_MISSING_CHECKPOINT_POLICY}.
 *
 * @throws `InvalidOptionError` naming `path`
 */
export function expectMissingCheckpointPolicy(value: unknown, path: string): MissingCheckpointPolicy {
  return expectOneOf(value, path, MISSING_CHECKPOINT_POLICIES, DEFAULT_MISSING_CHECKPOINT_POLICY)
}
