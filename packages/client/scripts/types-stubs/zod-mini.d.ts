// See zod.d.ts: `zod/mini` as untyped, for the declarations build only.
declare namespace mini {
  type output<T> = any;
  type input<T> = any;
  type infer<T> = any;
}
declare const mini: any;
export = mini;
