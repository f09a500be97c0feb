import { describe, expect, it } from 'vitest'
import { kafkaUuid } from '../../bed/bed.js'

describe('kafkaUuid (bed cluster ids)', () => {
  it('gives 22-character base64url ids that never start with "-" (the storage tool would take one for an option)', () => {
    // Without the guard one id in 64 starts with '-': 5000 ids would all but surely show it.
    const ids = Array.from({ length: 5000 }, () => kafkaUuid())
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/)
    }
    expect(new Set(ids).size).toBe(ids.length)
  })
})
