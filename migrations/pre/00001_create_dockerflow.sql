-- +goose Up
CREATE TABLE IF NOT EXISTS `dockerflow` (
  `watchdog` INT NOT NULL
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `dockerflow`;
