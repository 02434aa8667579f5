DROP TABLE place_generations;
