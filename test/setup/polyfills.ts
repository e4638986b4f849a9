// aws-local-stepfunctions needs Promise.withResolvers (Node 22); Node 20 lacks it.
import '../../lib/polyfills.ts';
