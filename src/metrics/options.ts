/** Validation of the options of `instrumentMetrics()`: every option checked, unknown keys rejected. */
import type { Meter, MeterProvider } from '@opentelemetry/api'
import { expectObject, expectString, invalid } from '../util/validate.js'
import { DEFAULT_METRICS_PREFIX } from './names.js'

/** OpenTelemetry's instrument name syntax, less the room the metric names take after the prefix. */
const PREFIX = /^[A-Za-z][A-Za-z0-9_./-]{0,199}$/

/** Metrics options after defaults and validation. */
export interface ValidMetricsOptions {
  meter: Meter | undefined
  meterProvider: MeterProvider | undefined
  prefix: string
}

/** Validates `options` and fills in defaults; throws InvalidOptionError naming the path and the fix. */
export function validateMetricsOptions(options: unknown): ValidMetricsOptions {
  const o = expectObject(options, 'metrics', ['meter', 'meterProvider', 'prefix'])
  const meter = o.meter
  const meterProvider = o.meterProvider
  if (
    meter !== undefined &&
    !hasMethods(meter, [
      'createCounter',
      'createHistogram',
      'createObservableGauge',
      'addBatchObservableCallback',
      'removeBatchObservableCallback',
    ])
  ) {
    invalid('metrics.meter', 'an OpenTelemetry Meter', meter, "e.g. metrics.getMeter('kafkajs-dr') from @opentelemetry/api")
  }
  if (meterProvider !== undefined && !hasMethods(meterProvider, ['getMeter'])) {
    invalid('metrics.meterProvider', 'an OpenTelemetry MeterProvider', meterProvider, 'e.g. a MeterProvider of @opentelemetry/sdk-metrics')
  }
  if (meter !== undefined && meterProvider !== undefined) {
    invalid('metrics.meterProvider', 'absent when `meter` is given', meterProvider, 'give one of `meter` and `meterProvider`')
  }
  const prefix = expectString(o.prefix, 'metrics.prefix', DEFAULT_METRICS_PREFIX)
  if (!PREFIX.test(prefix) || prefix.endsWith('.')) {
    invalid('metrics.prefix', 'a metric namespace (a letter, then letters, digits, `_`, `.`, `-` or `/`; no trailing `.`)', prefix)
  }
  return { meter: meter as Meter | undefined, meterProvider: meterProvider as MeterProvider | undefined, prefix }
}

function hasMethods(value: unknown, methods: readonly string[]): boolean {
  return typeof value === 'object' && value !== null && methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function')
}
