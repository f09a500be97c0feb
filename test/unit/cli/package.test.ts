import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const root = new URL('../../../', import.meta.url)

describe('the kafkajs-dr command in the package', () => {
  it('is the bin, built from src/cli/main.ts (with its shebang), and npm run cli runs it from a clone', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
      bin?: Record<string, string>
      scripts: Record<string, string>
      files: string[]
    }
    expect(pkg.bin).toEqual({ 'kafkajs-dr': './dist/cli/main.js' })
    expect(pkg.files).toContain('dist')
    expect(pkg.scripts.cli).toBe('tsx src/cli/main.ts')
    expect(readFileSync(new URL('src/cli/main.ts', root), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true)
    const build = JSON.parse(readFileSync(new URL('tsconfig.build.json', root), 'utf8')) as {
      include: string[]
      compilerOptions: { rootDir: string; outDir: string }
    }
    expect(build.include).toContain('src')
    expect(build.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' })
  })
})
