-- +goose Up
CREATE TABLE IF NOT EXISTS `release_assets` (
  `name` VARCHAR(100) NOT NULL,
  `path` VARCHAR(200) NOT NULL,
  `data` JSON NULL,
  `data_version` INT NOT NULL,
  PRIMARY KEY (`name`, `path`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `release_assets`;
