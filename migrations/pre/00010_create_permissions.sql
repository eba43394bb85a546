-- +goose Up
CREATE TABLE IF NOT EXISTS `permissions` (
  `permission` VARCHAR(50) NOT NULL,
  `username` VARCHAR(100) NOT NULL,
  `options` TEXT NULL,
  `data_version` INT NOT NULL,
  PRIMARY KEY (`permission`, `username`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `permissions`;
