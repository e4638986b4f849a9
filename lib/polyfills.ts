/** Node 20 lacks Promise.withResolvers, which aws-local-stepfunctions uses; Lambdas run Node 22 where it exists. */
type Resolvers<T> = { promise: Promise<T>; resolve: (v: T | PromiseLike<T>) => void; reject: (e?: unknown) => void };
// The compile target's lib does not declare withResolvers; this names the property the polyfill may add.
const P = Promise as PromiseConstructor & { withResolvers?: <T>() => Resolvers<T> };
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = <T>() => {
    let resolve!: Resolvers<T>['resolve'];
    let reject!: Resolvers<T>['reject'];
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

export {};
