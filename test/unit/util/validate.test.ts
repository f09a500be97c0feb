import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../../../src/errors/index.js'
import {
  describeValue,
  editDistance,
  expectBoolean,
  expectFunction,
  expectInt,
  expectList,
  expectNumber,
  expectObject,
  expectOneOf,
  expectString,
  ifGiven,
  invalid,
  isPlainObject,
  nearestName,
} from '../../../src/util/validate.js'

/** The InvalidOptionError `fn` throws. */
function rejection(fn: () => unknown): InvalidOptionError {
  try {
    fn()
  } catch (error) {
    if (error instanceof InvalidOptionError) return error
    throw error
  }
  throw new Error('did not throw')
}

describe('describeValue', () => {
  it.each([
    ['a short string', 'high', "'high'"],
    ['an empty string', '', "''"],
    ['a string of 40 characters', 'x'.repeat(40), `'${'x'.repeat(40)}'`],
    ['a longer string, cut at 40 characters', 'y'.repeat(41), `'${'y'.repeat(40)}…'`],
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
    ['an array', [1, 2], 'an array'],
    ['an object', { password: 'secret' }, 'an object'],
    ['a function', () => 1, 'a function'],
    ['a number', 1.5, '1.5'],
    ['NaN', Number.NaN, 'NaN'],
    ['a boolean', false, 'false'],
  ])('renders %s', (_what, value, expected) => {
    expect(describeValue(value)).toBe(expected)
  })
})

describe('isPlainObject', () => {
  it('accepts object literals and null-prototype objects', () => {
    expect(isPlainObject({})).toBe(true)
    expect(isPlainObject({ a: 1 })).toBe(true)
    expect(isPlainObject(Object.create(null))).toBe(true)
  })

  it('rejects null, arrays, class instances, Buffers, functions and primitives', () => {
    class Config {}
    for (const value of [null, undefined, [], new Config(), Buffer.from('x'), new Date(0), () => {}, 'x', 1]) {
      expect(isPlainObject(value)).toBe(false)
    }
  })
})

describe('expectObject', () => {
  it('returns the object', () => {
    const value = { a: 1 }
    expect(expectObject(value, 'opts')).toBe(value)
    expect(expectObject(value, 'opts', ['a', 'b'])).toBe(value)
  })

  it('rejects a non-object naming the path', () => {
    const error = rejection(() => expectObject([], 'health'))
    expect(error.message).toBe('Expected `health` to be an object, got an array')
    expect(error.path).toBe('health')
  })

  it('rejects an unknown key, listing the known ones', () => {
    const error = rejection(() => expectObject({ a: 1, c: 2 }, 'opts', ['a', 'b']))
    expect(error.message).toBe('Unknown option `opts.c`; known options of `opts` are: a, b')
    expect(error.path).toBe('opts.c')
  })

  it('names an unknown key of a root object without a prefix', () => {
    const error = rejection(() => expectObject({ a: 1, c: 2 }, 'options', ['a', 'b'], true))
    expect(error.message).toBe('Unknown option `c`; known options are: a, b')
    expect(error.path).toBe('c')
    expect(rejection(() => expectObject(null, 'options', ['a'], true)).message).toBe('Expected `options` to be an object, got null')
  })

  it('accepts any key when no list is given', () => {
    expect(expectObject({ anything: 1 }, 'kafka')).toEqual({ anything: 1 })
  })

  it('suggests the nearest known name for a typo, with the full path', () => {
    const error = rejection(() =>
      expectObject({ groupId: 'g', onMissingCheckpiont: 'error' }, 'consumer', ['groupId', 'checkpoint', 'onMissingCheckpoint']),
    )
    expect(error.message).toBe('Unknown option `consumer.onMissingCheckpiont`; did you mean `onMissingCheckpoint`?')
    expect(error.path).toBe('consumer.onMissingCheckpiont')
  })

  it('suggests for a root object without a prefix', () => {
    expect(rejection(() => expectObject({ cluster: {} }, 'options', ['clusters', 'clientId'], true)).message).toBe(
      'Unknown option `cluster`; did you mean `clusters`?',
    )
  })

  it('lists the known names instead when none is close', () => {
    expect(rejection(() => expectObject({ banana: 1 }, 'consumer', ['groupId', 'checkpoint', 'onMissingCheckpoint'])).message).toBe(
      'Unknown option `consumer.banana`; known options of `consumer` are: groupId, checkpoint, onMissingCheckpoint',
    )
  })
})

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['retry', 'retry', 0],
    ['retry', 'retyr', 1], // a swap of neighbours is one edit
    ['retries', 'retry', 3],
    ['intervalMs', 'intervalMS', 1],
    ['kitten', 'sitting', 3],
    ['ca', 'abc', 3], // optimal string alignment: no edit of a swapped pair
  ])('%s → %s is %d', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance)
    expect(editDistance(b, a)).toBe(distance)
  })
})

describe('nearestName', () => {
  const names = ['groupId', 'sessionTimeout', 'heartbeatInterval', 'retry', 'checkpoint', 'translators', 'onMissingCheckpoint']

  it.each([
    ['a swap', 'onMissingCheckpiont', 'onMissingCheckpoint'],
    ['a different case', 'groupID', 'groupId'],
    ['a missing letter', 'heartbeatIntrval', 'heartbeatInterval'],
    ['an extra letter', 'translatorss', 'translators'],
    ['a plural', 'checkpoints', 'checkpoint'],
    ['a shortened name', 'group', 'groupId'],
    ['a longer name', 'sessionTimeoutMs', 'sessionTimeout'],
  ])('suggests for %s', (_what, typo, suggestion) => {
    expect(nearestName(typo, names)).toBe(suggestion)
  })

  // 'retries' is 3 edits from 'retry': more than one per three characters of 7.
  it.each(['banana', 'x', 'timeout', 'topics', 'retries'])('suggests nothing for %s', (name) => {
    expect(nearestName(name, names)).toBeUndefined()
  })

  it('prefers the closest, then the earlier name', () => {
    expect(nearestName('minByte', ['maxBytes', 'minBytes'])).toBe('minBytes')
    expect(nearestName('abcdef', ['abcdeX', 'abcdeY'])).toBe('abcdeX')
  })

  it('suggests nothing from an empty list', () => {
    expect(nearestName('retry', [])).toBeUndefined()
  })
})

describe('expectNumber', () => {
  it('returns the fallback for undefined and fractions as they are', () => {
    expect(expectNumber(undefined, 'f', 0.2)).toBe(0.2)
    expect(expectNumber(0.5, 'f', 0.2, { min: 0, max: 1 })).toBe(0.5)
  })

  it.each([
    ['a string', '1', {}, "Expected `f` to be a finite number, got '1'"],
    ['NaN', Number.NaN, {}, 'Expected `f` to be a finite number, got NaN'],
    ['Infinity', Number.POSITIVE_INFINITY, {}, 'Expected `f` to be a finite number, got Infinity'],
    ['below min', -0.1, { min: 0 }, 'Expected `f` to be a number ≥ 0, got -0.1'],
    ['above max', 1.5, { max: 1 }, 'Expected `f` to be a number ≤ 1, got 1.5'],
  ])('rejects %s', (_what, value, bounds, message) => {
    expect(rejection(() => expectNumber(value, 'f', 0, bounds)).message).toBe(message)
  })
})

describe('expectList', () => {
  it('returns the array itself', () => {
    const list = ['a']
    expect(expectList(list, 'l', 'names')).toBe(list)
    expect(expectList([], 'l', 'names')).toEqual([])
  })

  it('rejects a non-array, and an empty array when it must not be empty', () => {
    expect(rejection(() => expectList('a', 'l', 'names')).message).toBe("Expected `l` to be a list of names, got 'a'")
    expect(rejection(() => expectList([], 'l', 'names', { nonEmpty: true })).message).toBe(
      'Expected `l` to be a non-empty list of names, got an array',
    )
  })
})

describe('expectInt', () => {
  it('returns the fallback for undefined and the value otherwise', () => {
    expect(expectInt(undefined, 'n', 7)).toBe(7)
    expect(expectInt(0, 'n', 7)).toBe(0)
    expect(expectInt(-3, 'n', 7)).toBe(-3)
  })

  it('accepts the bounds themselves', () => {
    expect(expectInt(1, 'n', 5, { min: 1, max: 10 })).toBe(1)
    expect(expectInt(10, 'n', 5, { min: 1, max: 10 })).toBe(10)
  })

  it.each([
    ['a string', '5', {}, "Expected `n` to be an integer, got '5'"],
    ['a fraction', 0.5, {}, 'Expected `n` to be an integer, got 0.5'],
    ['NaN', Number.NaN, {}, 'Expected `n` to be an integer, got NaN'],
    ['Infinity', Number.POSITIVE_INFINITY, {}, 'Expected `n` to be an integer, got Infinity'],
    ['null', null, {}, 'Expected `n` to be an integer, got null'],
    ['below min', 0, { min: 1 }, 'Expected `n` to be an integer ≥ 1, got 0'],
    ['above max', 11, { max: 10 }, 'Expected `n` to be an integer ≤ 10, got 11'],
  ])('rejects %s', (_what, value, bounds, message) => {
    expect(rejection(() => expectInt(value, 'n', 1, bounds)).message).toBe(message)
  })
})

describe('expectString', () => {
  it('returns the value, or the fallback for undefined', () => {
    expect(expectString('a', 's')).toBe('a')
    expect(expectString(undefined, 's', 'dflt')).toBe('dflt')
  })

  it('rejects undefined without a fallback', () => {
    expect(rejection(() => expectString(undefined, 's')).message).toBe('Expected `s` to be a non-empty string, got undefined')
  })

  it('rejects an empty string even with a fallback', () => {
    expect(rejection(() => expectString('', 's', 'dflt')).message).toBe("Expected `s` to be a non-empty string, got ''")
  })

  it('rejects a number', () => {
    expect(rejection(() => expectString(5, 's', 'dflt')).message).toBe('Expected `s` to be a non-empty string, got 5')
  })
})

describe('expectBoolean', () => {
  it('returns the value, or the fallback for undefined', () => {
    expect(expectBoolean(false, 'b', true)).toBe(false)
    expect(expectBoolean(undefined, 'b', true)).toBe(true)
  })

  it('rejects a truthy non-boolean', () => {
    expect(rejection(() => expectBoolean(1, 'b', true)).message).toBe('Expected `b` to be a boolean, got 1')
    expect(rejection(() => expectBoolean('true', 'b', true)).message).toBe("Expected `b` to be a boolean, got 'true'")
  })
})

describe('expectOneOf', () => {
  const choices = ['red', 'green'] as const

  it('returns a choice, or the fallback for undefined', () => {
    expect(expectOneOf('green', 'c', choices, 'red')).toBe('green')
    expect(expectOneOf(undefined, 'c', choices, 'red')).toBe('red')
  })

  it('rejects anything else, listing the choices', () => {
    expect(rejection(() => expectOneOf('blue', 'c', choices, 'red')).message).toBe("Expected `c` to be one of 'red', 'green', got 'blue'")
    expect(rejection(() => expectOneOf(1, 'c', choices, 'red')).message).toBe("Expected `c` to be one of 'red', 'green', got 1")
  })

  it('is case-sensitive', () => {
    expect(() => expectOneOf('Red', 'c', choices, 'red')).toThrow(InvalidOptionError)
  })
})

describe('expectFunction', () => {
  it('returns a function, or undefined for undefined', () => {
    const fn = (): number => 1
    expect(expectFunction(fn, 'f')).toBe(fn)
    expect(expectFunction(undefined, 'f')).toBeUndefined()
  })

  it('rejects anything else', () => {
    expect(rejection(() => expectFunction('fn', 'f')).message).toBe("Expected `f` to be a function, got 'fn'")
  })
})

describe('invalid', () => {
  it('throws with the expectation, the value and the fix', () => {
    const error = rejection(() => invalid('a.b', 'something else', 3, 'try 4'))
    expect(error.message).toBe('Expected `a.b` to be something else, got 3; try 4')
    expect(error.path).toBe('a.b')
    expect(error.code).toBe('ERR_INVALID_OPTION')
  })

  it('leaves out the fix when there is none', () => {
    expect(rejection(() => invalid('a', 'x', null)).message).toBe('Expected `a` to be x, got null')
  })
})

describe('ifGiven', () => {
  it('checks a given value and leaves undefined alone', () => {
    const check = (v: unknown): number => expectInt(v, 'n', 0, { min: 1 })
    expect(ifGiven(undefined, check)).toBeUndefined()
    expect(ifGiven(3, check)).toBe(3)
    expect(rejection(() => ifGiven(0, check)).message).toBe('Expected `n` to be an integer ≥ 1, got 0')
  })
})
