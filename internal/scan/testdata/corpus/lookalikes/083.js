var a="oOaTDmY6OmfVlomCz/y1gM3zE0LEy6JXaEiO6iaQXhmsy+gNhRE9VkCNcEJvjFgeCIqKcRs0IyGZrks3",b={data:"44gEC7Pgl0g03T6qqJafQ3LfqeQHcXwDbFNYWsPslx2z19eqMbTRIQ=="};
