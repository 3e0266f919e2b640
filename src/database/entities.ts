/**
 * Every TypeORM entity, listed once: the data source, the drift test and the migrations CLI read this list.
 * Add a line when you add an entity.
 */
export const ENTITIES: (new () => object)[] = [];
