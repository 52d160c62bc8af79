-- The schema registry keeps its tables in a database of its own.
CREATE DATABASE registry OWNER sgbus;
