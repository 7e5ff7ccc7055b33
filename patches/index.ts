/** The .patch format: types, schema, migrations, converters, importers. */
export * from './format/types';
