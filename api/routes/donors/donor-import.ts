import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AUTHENTICATED_ERRORS, ClientParams, problems } from '../../schemas/common';
import { ImportBody, ImportResult } from '../../schemas/donors';
import { csvRows, decodeCsvBody, importDonors, jsonRows } from '../../services/donors/donor-import';

const IMPORT_BODY_LIMIT = 10 * 1024 * 1024;

/**
 * In a scope of its own, so text/csv is accepted here and nowhere else (other operations answer 415).
 * The body arrives as bytes and is decoded by its charset or byte-order mark (services/donors/donor-import.ts).
 */
const donorImportRoutes: FastifyPluginAsyncZod = async (app) => {
  app.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: IMPORT_BODY_LIMIT }, (request, body, done) => {
    try {
      done(null, decodeCsvBody(body as Buffer, request.headers['content-type']));
    } catch (error) {
      done(error as Error);
    }
  });

  app.post('/clients/:clientId/donors/import', {
    bodyLimit: IMPORT_BODY_LIMIT,
    schema: {
      summary: 'Import donors from a JSON array or CSV: valid rows are imported together, invalid rows are reported by row and field', tags: ['donors'],
      consumes: ['application/json', 'text/csv'],
      params: ClientParams, body: ImportBody,
      response: { 200: ImportResult, ...problems(...AUTHENTICATED_ERRORS, 404, 413, 415) },
    },
  }, (request) => {
    const { clientId } = request.params;
    const { body } = request;
    return request.inClient(clientId, (em) => importDonors(em, clientId, typeof body === 'string' ? csvRows(body) : jsonRows(body)));
  });
};

export default donorImportRoutes;
