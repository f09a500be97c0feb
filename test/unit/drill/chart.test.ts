import { describe, expect, it } from 'vitest'
import { renderChart } from '../../../src/drill/chart.js'
import type { DrillReport } from '../../../src/drill/report.js'

describe("the drill's picture without its optional peer dependencies", () => {
  it('says what to install', async () => {
    const missing = Object.assign(new Error("Cannot find package 'vega'"), { code: 'ERR_MODULE_NOT_FOUND' })
    await expect(renderChart({} as DrillReport, () => Promise.reject(missing))).rejects.toThrow(
      'the picture needs vega and vega-lite, optional peer dependencies of kafkajs-dr: npm install vega vega-lite',
    )
  })
})
