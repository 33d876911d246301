/** The stored object of a RabbitMQ definitions backup, as the manifest records it (the plan's driver and the runtime's). */
export const RABBITMQ_DEFINITIONS_ARTIFACT = { format: "rabbitmq-definitions-json", extension: "json" } as const;
