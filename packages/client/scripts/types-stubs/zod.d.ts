// The declarations build (tsconfig.types.json) sees zod as untyped: the SDK's public types
// never mention a zod type (only the protocol's plain constants), and walking zod's own
// declarations costs dts-bundle-generator ~40 s. package.test.ts type-checks the published
// declarations against a real TypeScript project.
export declare namespace z {
  type output<T> = any;
  type input<T> = any;
  type infer<T> = any;
}
export declare const z: any;
