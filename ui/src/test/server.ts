/** MSW: the API's wire format on fetch, for components whose endpoints are contracts (agents, executions). */
import { setupServer } from "msw/node";

export const server = setupServer();
