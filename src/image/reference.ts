/** Image references and digests as text: defined with the topology format (src/topology/image-ref.ts). */
export * from '../topology/image-ref.js';
