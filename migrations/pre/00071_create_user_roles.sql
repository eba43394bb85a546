-- +goose Up
CREATE TABLE IF NOT EXISTS `user_roles` (
  `username` VARCHAR(100) NOT NULL,
  `role` VARCHAR(50) NOT NULL,
  `data_version` INT NOT NULL,
  PRIMARY KEY (`username`, `role`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `user_roles`;
