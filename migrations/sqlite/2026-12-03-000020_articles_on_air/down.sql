DROP INDEX articles_on_air;
