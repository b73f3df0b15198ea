/**
 * src/graph: the lab as a graph, the plan of kernel actions, and pictures.
 */
export * from './actions.js';
export { plan, sysctlsOf, usesIPv6 } from './plan.js';
export { formatPlan, describeAction, type FormatPlanOptions } from './plan-text.js';
export { describeRoute } from '../topology/routes.js';
export { describeShaping } from '../topology/shaping.js';
export { buildGraph, components, degree, neighbours, segmentKey, HOST_KEY } from './graph.js';
export { toDot } from './render/dot.js';
export { toMermaid } from './render/mermaid.js';
export { toSvg, toHtml } from './render/svg.js';
export { renderGraph, GRAPH_FORMATS, type GraphFormat } from './render/index.js';
